// Triage: one large card, worked through by keyboard (curation/views/triage_card.py sends the cards).
//
// Safe by construction: document text reaches the DOM only through textContent and attribute setters,
// and a link is made only for an http(s) URL (checked in Python, and again here); the History link is
// made here from the article's id, percent-encoded.
//
// Fast by construction: the data holds the current card and the next three (and two before), so a key
// shows the next card at once, before the server has written anything; their images are loaded ahead.
// Each event names its card by id (and sha, for a write) in the queue of component_events.js; the server
// answers with where the editor is, which the card follows once every event it sent is answered.

import { drawInto, element, EventQueue, httpUrl } from './component_events.js';

export default function (component) {
  return drawInto(component, TriageCard);
}

// [key, event kind, button label, what the button's title says]
const ACTIONS = [
  ['p', 'publish', 'Publish', 'Publish and go to the next card'],
  ['u', 'unpublish', 'Unpublish', 'Unpublish and go to the next card'],
  ['s', 'skip', 'Skip', 'Leave it as it is and go to the next card (also j)'],
  ['k', 'back', 'Back', 'Go back to the card before'],
  ['e', 'edit', 'Edit', "Edit the article's fields"],
  ['z', 'undo', 'Undo', 'Undo your last change on this page'],
];
const KEYS = { p: 'publish', u: 'unpublish', s: 'skip', j: 'skip', k: 'back', e: 'edit', z: 'undo' };
const ADVANCING = { publish: 'published', unpublish: 'unpublished', skip: 'skipped' }; // kind -> the card's mark
const PRELOAD_AHEAD = 3;
const KEEP_AROUND = 12; // cards kept beyond the server's window, for a quick back

function number(value) {
  return Number(value).toLocaleString('en-US');
}

class TriageCard {
  constructor(parent) {
    this.queue = new EventQueue();
    this.queueToken = null;
    this.cards = new Map(); // position -> card data
    this.at = 0; // the position shown
    this.data = null;
    this.preloaded = new Map(); // image URL -> Image, loading or loaded
    this.failedImages = new Set();
    this.root = element('section', 'tc-root');
    this.root.setAttribute('aria-label', 'Triage');
    this.where = element('p', 'tc-where');
    this.where.setAttribute('aria-live', 'polite');
    this.notice = element('p', 'tc-notice');
    this.notice.setAttribute('role', 'status');
    this.buildCard();
    this.actions = element('div', 'tc-actions');
    this.actions.setAttribute('role', 'toolbar');
    this.actions.setAttribute('aria-label', 'Triage actions');
    this.buttons = {};
    for (const [key, kind, label, title] of ACTIONS) {
      const button = element('button', 'tc-action tc-action-' + kind);
      button.type = 'button';
      button.append(element('span', 'tc-action-label', label));
      button.appendChild(element('kbd', 'tc-key', key)).setAttribute('aria-hidden', 'true');
      button.setAttribute('aria-keyshortcuts', kind === 'skip' ? 's j' : key);
      button.title = title + ' (' + key + ')';
      button.addEventListener('click', () => this.act(kind));
      this.buttons[kind] = button;
      this.actions.appendChild(button);
    }
    this.end = element('p', 'tc-end');
    this.help = element('p', 'tc-help', 'Keys: p publish and next · u unpublish and next · s or j skip · k back · e edit · z undo');
    this.root.append(this.where, this.notice, this.actions, this.card, this.end, this.help);
    parent.appendChild(this.root);
    this.onKey = (event) => this.key(event);
    document.addEventListener('keydown', this.onKey);
  }

  detach() {
    document.removeEventListener('keydown', this.onKey);
    this.root.remove();
  }

  buildCard() {
    this.card = element('article', 'tc-card');
    this.imageBox = element('div', 'tc-image-box');
    this.image = element('img', 'tc-image');
    this.image.alt = '';
    this.image.addEventListener('error', () => this.imageFailed());
    this.placeholder = element('div', 'tc-placeholder');
    this.imageBox.append(this.image, this.placeholder);
    const body = element('div', 'tc-body');
    const heading = element('h2', 'tc-heading');
    this.title = element('a', 'tc-title');
    this.title.target = '_blank';
    this.title.rel = 'noopener noreferrer';
    heading.appendChild(this.title);
    this.marks = element('p', 'tc-marks');
    this.details = element('p', 'tc-details');
    this.excerpt = element('p', 'tc-excerpt');
    this.topics = element('p', 'tc-topics');
    this.twin = element('p', 'tc-twin');
    this.history = element('a', 'tc-history', 'History');
    this.history.target = '_blank';
    this.history.rel = 'noopener';
    this.file = element('span', 'tc-file');
    const links = element('p', 'tc-links');
    links.append(this.history, this.file);
    body.append(heading, this.marks, this.details, this.excerpt, this.topics, this.twin, links);
    this.card.append(this.imageBox, body);
  }

  // --- the server's answers ------------------------------------------------------------------------

  update(data) {
    const newQueue = data.queue !== this.queueToken;
    if (newQueue) {
      this.queueToken = data.queue;
      this.cards.clear();
    }
    this.data = data;
    this.queue.acknowledge(data.applied);
    for (const card of data.cards || []) this.cards.set(card.position, card);
    for (const position of this.cards.keys()) {
      if (Math.abs(position - data.at) > KEEP_AROUND) this.cards.delete(position);
    }
    // While events are unanswered the card shown is ahead of the server's answer: it stays (in the same
    // queue; another filter or sort starts from where the server put the editor).
    if (newQueue || !this.queue.events.length) this.at = data.at;
    this.draw();
  }

  // --- drawing -------------------------------------------------------------------------------------

  draw() {
    const data = this.data;
    const total = data.total || 0;
    const card = this.cards.get(this.at);
    const done = this.at >= total;
    const counts = this.counts();
    const tally = `${number(counts.published)} published · ${number(counts.skipped)} skipped`
      + (counts.unpublished ? ` · ${number(counts.unpublished)} unpublished` : '');
    if (!total) this.where.textContent = data.empty || '';
    else if (done) this.where.textContent = `End of the queue: all ${number(total)} seen · ${tally}`;
    else this.where.textContent = `${number(this.at + 1)} of ${number(total)} · ${tally}`;
    this.notice.textContent = this.queue.events.length ? '' : data.notice || '';
    this.notice.hidden = !this.notice.textContent;
    this.end.textContent = done && total ? 'That was the last card. Press k to go back, or change the filters.' : '';
    this.end.hidden = !(done && total);
    this.card.hidden = done || !card;
    this.root.classList.toggle('tc-loading', !done && !card);
    if (card) this.fillCard(card);
    else this.card.removeAttribute('data-id');
    const writable = Boolean(card) && !card.gone && data.canEdit;
    this.buttons.publish.disabled = !writable;
    this.buttons.unpublish.disabled = !writable;
    this.buttons.skip.disabled = !card;
    this.buttons.back.disabled = this.at <= 0 || !this.cards.has(this.at - 1);
    this.buttons.edit.disabled = !card || card.gone;
    const writesWaiting = this.queue.events.some((event) => event.kind in ADVANCING && event.kind !== 'skip');
    this.buttons.undo.disabled = !data.canEdit || !(data.canUndo || writesWaiting);
    this.preload();
  }

  fillCard(card) {
    this.card.dataset.id = card.id; // for tests and the benchmark; an attribute, never markup
    this.card.dataset.position = String(card.position);
    this.card.setAttribute('aria-label', card.title || card.id);
    this.title.textContent = card.title || card.id;
    const url = card.gone ? null : httpUrl(card.url);
    if (url) this.title.setAttribute('href', url);
    else this.title.removeAttribute('href');
    this.showImage(card.gone ? null : httpUrl(card.image));
    this.marks.replaceChildren();
    const mark = this.markOf(card);
    const badges = card.gone
      ? [['gone', 'file went away']]
      : [[card.published ? 'published' : 'unpublished', card.published ? 'published' : 'not published']];
    if (card.duplicate) badges.push(['duplicate', 'likely duplicate']);
    if (mark) badges.push(['mark', 'you ' + mark + ' it']);
    for (const [kind, text] of badges) this.marks.appendChild(element('span', 'tc-badge tc-badge-' + kind, text));
    const details = card.details || {};
    const parts = [
      details.provider || 'unknown provider',
      details.date || 'no date',
      'quality ' + (details.quality ?? '–'),
      'heat ' + (details.heat ?? '–'),
    ];
    if (details.category) parts.push(details.category);
    this.details.textContent = card.gone ? '' : parts.join(' · ');
    this.excerpt.textContent = card.excerpt || '';
    this.excerpt.hidden = !card.excerpt;
    const topics = card.topics || [];
    this.topics.textContent = topics.length ? 'Topics: ' + topics.join(', ') : '';
    this.topics.hidden = !topics.length;
    this.twin.textContent = card.twin ? `Its twin: ${card.twin.title} (${card.twin.id})` : '';
    this.twin.hidden = !card.twin;
    this.history.setAttribute('href', 'history?article=' + encodeURIComponent(card.id));
    this.history.setAttribute('aria-label', 'History of ' + (card.title || card.id));
    this.file.textContent = card.id;
  }

  showImage(url) {
    const failed = !url || this.failedImages.has(url);
    if (failed) {
      this.image.removeAttribute('src');
      this.image.hidden = true;
      this.placeholder.textContent = url ? 'Image unavailable' : 'No image';
      this.placeholder.hidden = false;
      return;
    }
    if (this.image.getAttribute('src') !== url) this.image.setAttribute('src', url);
    this.image.hidden = false;
    this.placeholder.hidden = true;
  }

  imageFailed() {
    const url = this.image.getAttribute('src');
    if (url) this.failedImages.add(url);
    this.image.hidden = true;
    this.placeholder.textContent = 'Image unavailable';
    this.placeholder.hidden = false;
  }

  // The next cards' images, loaded before they are needed (and remembered when they fail).
  preload() {
    for (let position = this.at + 1; position <= this.at + PRELOAD_AHEAD; position += 1) {
      const card = this.cards.get(position);
      const url = card && !card.gone ? httpUrl(card.image) : null;
      if (!url || this.preloaded.has(url)) continue;
      const image = new Image();
      image.addEventListener('error', () => this.failedImages.add(url));
      image.src = url;
      this.preloaded.set(url, image);
    }
    if (this.preloaded.size > 50) this.preloaded.delete(this.preloaded.keys().next().value);
  }

  // This session's mark of a card, with the events not answered yet applied on top.
  markOf(card) {
    let mark = card.mark || null;
    for (const event of this.queue.events) {
      if (event.id === card.id && event.kind in ADVANCING) mark = event.kind === 'skip' ? mark || 'skipped' : ADVANCING[event.kind];
    }
    return mark;
  }

  // The server's counts, with the events not answered yet applied on top.
  counts() {
    const counts = { published: 0, unpublished: 0, skipped: 0, ...(this.data.counts || {}) };
    const marks = new Map();
    for (const card of this.cards.values()) marks.set(card.id, card.mark || null);
    for (const event of this.queue.events) {
      if (!(event.kind in ADVANCING) || !marks.has(event.id)) continue;
      const before = marks.get(event.id);
      const after = event.kind === 'skip' ? before || 'skipped' : ADVANCING[event.kind];
      if (before === after) continue;
      if (before) counts[before] -= 1;
      counts[after] += 1;
      marks.set(event.id, after);
    }
    return counts;
  }

  // --- actions -------------------------------------------------------------------------------------

  act(kind) {
    const card = this.cards.get(this.at);
    if (kind === 'undo') {
      if (!this.buttons.undo.disabled) this.queue.push({ kind }, this.send);
      return;
    }
    if (kind === 'back') {
      const before = this.cards.get(this.at - 1);
      if (!before) return;
      this.at -= 1;
      this.queue.push({ kind, id: before.id }, this.send);
      this.draw();
      return;
    }
    if (!card || card.gone || this.buttons[kind].disabled) return;
    this.queue.push({ kind, id: card.id, sha: card.sha }, this.send);
    if (kind in ADVANCING) {
      this.at += 1; // the next card at once: the server writes meanwhile
      this.draw();
    }
  }

  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.repeat) return;
    const kind = KEYS[event.key];
    if (!kind || !this.root.isConnected) return;
    const target = event.target;
    // Typing in a field (the sidebar's search, the article's dialog) is typing, not triage.
    if (target && target.closest && target.closest('input, textarea, select, [contenteditable], [role="dialog"]')) return;
    if (document.querySelector('[role="dialog"]')) return;
    event.preventDefault();
    this.act(kind);
  }
}
