// The Articles table: one element drawn from the page's rows (curation/views/article_table.py sends them).
//
// Safe by construction: document text reaches the DOM only through textContent and attribute setters,
// and a link is made only for an http(s) URL (checked in Python, and again here).
//
// Events carry ids and shas, never positions, in the queue of component_events.js: a tick made while
// the server is still answering the last one is neither lost nor applied twice.
//
// The DOM is built once and updated in place: row elements are reused by position, so the focused box
// keeps its focus (and the page its scroll) through writes and page turns.

import { drawInto, element, EventQueue, httpUrl } from './component_events.js';

export default function (component) {
  return drawInto(component, ArticlesTable);
}

const ROW_KEYS = { ArrowDown: 1, ArrowUp: -1, j: 1, k: -1 };
const CELL_KEYS = { ArrowRight: 1, ArrowLeft: -1 };

class ArticlesTable {
  constructor(parent) {
    this.queue = new EventQueue();
    this.ticks = new Map(); // id -> value ticked and not yet answered
    this.selections = new Map(); // id -> value chosen and not yet answered
    this.anchor = null; // the row index a shift-click selects from
    this.focusAt = { row: 0, cell: 0 }; // the grid's one tab stop
    this.rows = [];
    this.data = null;
    this.root = element('div', 'ct-root');
    this.pagerTop = this.pager('top');
    this.grid = element('table', 'ct-grid');
    this.grid.setAttribute('role', 'grid');
    this.grid.setAttribute('aria-label', 'Articles');
    this.head = element('thead');
    this.body = element('tbody');
    this.empty = element('p', 'ct-empty');
    this.grid.append(this.head, this.body);
    this.pagerBottom = this.pager('bottom');
    this.root.append(this.pagerTop.box, this.grid, this.empty, this.pagerBottom.box);
    parent.appendChild(this.root);
    this.onKey = (event) => this.key(event);
    this.grid.addEventListener('keydown', this.onKey);
    this.grid.addEventListener('focusin', (event) => this.rememberFocus(event.target));
  }

  detach() {
    this.grid.removeEventListener('keydown', this.onKey);
    this.root.remove();
  }

  // --- events to the server -------------------------------------------------------------------------

  push(event) {
    this.queue.push(event, this.send);
  }

  acknowledge(applied) {
    const answered = this.queue.acknowledge(applied);
    const waiting = (kind, id) => this.queue.events.some((event) => event.kind === kind && (event.id === id || (event.ids || []).includes(id)));
    for (const event of answered) {
      if (event.kind === 'tick' && !waiting('tick', event.id)) this.ticks.delete(event.id);
      if (event.kind === 'select') for (const id of event.ids) if (!waiting('select', id)) this.selections.delete(id);
    }
  }

  // --- drawing --------------------------------------------------------------------------------------

  update(data) {
    const hadFocus = this.grid.contains(document.activeElement);
    this.data = data;
    this.acknowledge(data.applied);
    this.drawHead(data);
    const rows = data.rows || [];
    while (this.rows.length < rows.length) this.rows.push(this.newRow(this.rows.length));
    this.rows.forEach((row, index) => {
      if (index < rows.length) {
        this.fillRow(row, rows[index], data);
        if (!row.tr.isConnected) this.body.appendChild(row.tr);
      } else if (row.tr.isConnected) {
        row.tr.remove();
      }
    });
    this.empty.textContent = rows.length ? '' : data.empty || '';
    this.empty.hidden = rows.length > 0;
    this.grid.hidden = rows.length === 0;
    this.fillPager(this.pagerTop, data);
    this.fillPager(this.pagerBottom, data);
    // The focused row may be gone (a shorter page): the focus moves to the nearest row's same control.
    this.placeTabStop(hadFocus && !this.grid.contains(document.activeElement));
  }

  drawHead(data) {
    const signature = JSON.stringify([data.columns, data.sort, data.canEdit]);
    if (signature !== this.headSignature) {
      this.headSignature = signature;
      this.head.replaceChildren();
      const tr = element('tr');
      tr.appendChild(this.headCell('Published', null, data));
      const selectCell = element('th', 'ct-select');
      selectCell.setAttribute('scope', 'col');
      this.selectAll = element('input');
      this.selectAll.type = 'checkbox';
      this.selectAll.setAttribute('aria-label', 'Select all on this page');
      this.selectAll.title = 'Select all on this page';
      this.selectAll.addEventListener('change', () => this.selectPage(this.selectAll.checked));
      selectCell.appendChild(this.selectAll);
      tr.appendChild(selectCell);
      const editHead = element('th', 'ct-edit');
      editHead.setAttribute('scope', 'col');
      const editLabel = element('span', 'ct-hidden', 'Edit');
      editHead.appendChild(editLabel);
      tr.appendChild(editHead);
      tr.appendChild(this.headCell('Article', 'title', data));
      for (const column of data.columns) tr.appendChild(this.headCell(column.label, column.sort, data, column.key));
      this.head.appendChild(tr);
    }
    const rows = data.rows || [];
    const chosen = rows.filter((row) => this.isSelected(row));
    this.selectAll.checked = rows.length > 0 && chosen.length === rows.length;
    this.selectAll.indeterminate = chosen.length > 0 && chosen.length < rows.length;
  }

  headCell(label, sortColumn, data, key) {
    const th = element('th', key ? 'ct-detail ct-col-' + key : 'ct-col-' + (sortColumn || 'published'));
    th.setAttribute('scope', 'col');
    if (!sortColumn) {
      th.textContent = label;
      return th;
    }
    const sorted = data.sort && data.sort.column === sortColumn;
    th.setAttribute('aria-sort', sorted ? (data.sort.descending ? 'descending' : 'ascending') : 'none');
    const button = element('button', 'ct-sort', label);
    button.type = 'button';
    const direction = sorted ? (data.sort.descending ? ' ↓' : ' ↑') : '';
    if (direction) button.appendChild(element('span', 'ct-arrow', direction)).setAttribute('aria-hidden', 'true');
    button.title = 'Sort by ' + label.toLowerCase();
    button.addEventListener('click', () => this.push({ kind: 'sort', column: sortColumn }));
    th.appendChild(button);
    return th;
  }

  newRow(index) {
    const tr = element('tr', 'ct-row');
    const published = element('input', 'ct-published');
    published.type = 'checkbox';
    published.addEventListener('change', () => this.tick(index, published.checked));
    const selected = element('input', 'ct-selected');
    selected.type = 'checkbox';
    selected.addEventListener('click', (event) => this.select(index, selected.checked, event.shiftKey));
    const edit = element('button', 'ct-edit-button');
    edit.type = 'button';
    edit.appendChild(element('span', 'ct-pencil', '✎')).setAttribute('aria-hidden', 'true');
    edit.addEventListener('click', () => this.open(index, 'edit'));
    const link = element('a', 'ct-title');
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    const marks = element('span', 'ct-marks');
    const error = element('div', 'ct-error');
    error.setAttribute('role', 'alert');
    const cells = [published, selected, edit].map((control) => {
      const td = element('td', 'ct-control');
      td.appendChild(control);
      return td;
    });
    const article = element('td', 'ct-article');
    article.append(link, marks, error);
    tr.append(...cells, article);
    tr.setAttribute('aria-rowindex', String(index + 2));
    return { tr, published, selected, edit, link, marks, error, article, details: [], row: null };
  }

  fillRow(view, row, data) {
    view.row = row;
    view.tr.dataset.id = row.id; // for tests and the benchmark; an attribute, never markup
    const title = row.title || row.id;
    const deleted = Boolean(row.deleted);
    view.published.setAttribute('aria-label', 'Published: ' + title);
    view.selected.setAttribute('aria-label', 'Select: ' + title);
    view.edit.setAttribute('aria-label', 'Edit: ' + title);
    view.edit.title = 'Edit or see the details of ' + title;
    const pendingTick = this.ticks.get(row.id);
    view.published.checked = pendingTick === undefined ? Boolean(row.published) : pendingTick;
    view.published.disabled = deleted || !data.canEdit;
    view.published.classList.toggle('ct-pending', pendingTick !== undefined);
    view.selected.checked = this.isSelected(row);
    view.selected.disabled = deleted;
    view.edit.disabled = deleted;
    view.link.textContent = title;
    const url = deleted ? null : httpUrl(row.url);
    if (url) view.link.setAttribute('href', url);
    else view.link.removeAttribute('href');
    view.marks.replaceChildren();
    for (const [flag, text, kind] of [
      [row.changed, 'changed', 'changed'],
      [row.duplicate, 'likely duplicate', 'duplicate'],
      [deleted, 'deleted', 'deleted'],
    ]) {
      if (flag) view.marks.appendChild(element('span', 'ct-badge ct-badge-' + kind, text));
    }
    view.error.textContent = row.error || '';
    view.error.hidden = !row.error;
    view.tr.classList.toggle('ct-is-selected', view.selected.checked);
    while (view.details.length > data.columns.length) view.details.pop().remove();
    while (view.details.length < data.columns.length) {
      const td = element('td', 'ct-detail');
      view.details.push(td);
      view.tr.appendChild(td);
    }
    data.columns.forEach((column, index) => {
      const value = row.cells ? row.cells[column.key] : '';
      view.details[index].textContent = value === null || value === undefined ? '–' : String(value);
      view.details[index].className = 'ct-detail ct-col-' + column.key;
    });
  }

  isSelected(row) {
    const pending = this.selections.get(row.id);
    return pending === undefined ? Boolean(row.selected) : pending;
  }

  // --- actions --------------------------------------------------------------------------------------

  tick(index, value) {
    const row = this.rows[index].row;
    if (!row || row.deleted) return;
    this.ticks.set(row.id, value);
    this.rows[index].published.classList.add('ct-pending');
    this.push({ kind: 'tick', id: row.id, sha: row.sha, value });
  }

  select(index, value, range) {
    const rows = this.data.rows || [];
    let chosen = [index];
    if (range && this.anchor !== null && this.anchor < rows.length) {
      const [from, to] = this.anchor < index ? [this.anchor, index] : [index, this.anchor];
      chosen = [];
      for (let at = from; at <= to; at += 1) chosen.push(at);
    }
    this.anchor = index;
    this.choose(chosen.map((at) => rows[at]).filter((row) => row && !row.deleted), value);
  }

  selectPage(value) {
    this.choose((this.data.rows || []).filter((row) => !row.deleted), value);
  }

  choose(rows, value) {
    if (!rows.length) return;
    for (const row of rows) this.selections.set(row.id, value);
    this.rows.forEach((view) => {
      if (view.row && view.tr.isConnected) {
        view.selected.checked = this.isSelected(view.row);
        view.tr.classList.toggle('ct-is-selected', view.selected.checked);
      }
    });
    this.drawHead(this.data);
    this.push({ kind: 'select', ids: rows.map((row) => row.id), value });
  }

  open(index, mode) {
    const row = this.rows[index].row;
    if (row && !row.deleted) this.push({ kind: mode, id: row.id, sha: row.sha });
  }

  turnTo(page) {
    const pages = this.data.pages || 1;
    const target = Math.min(Math.max(1, page), pages);
    if (target !== this.data.page) this.push({ kind: 'page', page: target });
  }

  // --- the pager ------------------------------------------------------------------------------------

  pager(where) {
    const box = element('nav', 'ct-pager ct-pager-' + where);
    box.setAttribute('aria-label', where === 'top' ? 'Pages' : 'Pages, below the table');
    const previous = element('button', 'ct-page-step', '‹ Previous');
    previous.type = 'button';
    previous.setAttribute('aria-label', 'Previous page');
    const numbers = element('span', 'ct-page-numbers');
    const next = element('button', 'ct-page-step', 'Next ›');
    next.type = 'button';
    next.setAttribute('aria-label', 'Next page');
    const jump = element('input', 'ct-jump');
    jump.type = 'number';
    jump.min = '1';
    jump.setAttribute('aria-label', 'Go to page');
    jump.placeholder = 'page';
    const summary = element('span', 'ct-page-summary');
    previous.addEventListener('click', () => this.turnTo(this.data.page - 1));
    next.addEventListener('click', () => this.turnTo(this.data.page + 1));
    jump.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      const page = parseInt(jump.value, 10);
      if (Number.isFinite(page)) this.turnTo(page);
      jump.value = '';
    });
    box.append(previous, numbers, next, jump);
    const pager = { box, previous, numbers, next, jump, summary, where };
    if (where === 'top') box.append(...this.layoutControls(pager));
    box.append(summary);
    return pager;
  }

  // Rows per page and the columns shown: one event with both, so neither choice wipes the other.
  layoutControls(pager) {
    const size = element('select', 'ct-page-size');
    size.setAttribute('aria-label', 'Rows per page');
    size.addEventListener('change', () => this.pushLayout({ rows: parseInt(size.value, 10) }));
    const columns = element('details', 'ct-columns');
    const summary = element('summary', 'ct-columns-summary', 'Columns');
    const list = element('fieldset', 'ct-columns-list');
    const legend = element('legend', 'ct-hidden', 'Columns shown');
    list.appendChild(legend);
    columns.append(summary, list);
    pager.size = size;
    pager.columns = list;
    return [size, columns];
  }

  pushLayout(change) {
    const shown = (this.data.columns || []).map((column) => column.key);
    this.push({ kind: 'layout', rows: this.data.pageSize, columns: shown, ...change });
  }

  fillLayout(pager, data) {
    const sizes = data.pageSizes || [];
    if (pager.size.options.length !== sizes.length) {
      pager.size.replaceChildren(...sizes.map((size) => {
        const option = element('option', '', size + ' rows');
        option.value = String(size);
        return option;
      }));
    }
    pager.size.value = String(data.pageSize);
    const choices = data.columnChoices || [];
    const shown = new Set((data.columns || []).map((column) => column.key));
    if (pager.columns.querySelectorAll('input').length !== choices.length) {
      pager.columns.querySelectorAll('label').forEach((label) => label.remove());
      for (const choice of choices) {
        const label = element('label', 'ct-column-choice');
        const box = element('input');
        box.type = 'checkbox';
        box.value = choice.key;
        box.addEventListener('change', () => {
          const keys = [...pager.columns.querySelectorAll('input')].filter((input) => input.checked).map((input) => input.value);
          this.pushLayout({ columns: keys });
        });
        label.append(box, document.createTextNode(' ' + choice.label));
        pager.columns.appendChild(label);
      }
    }
    pager.columns.querySelectorAll('input').forEach((box) => {
      box.checked = shown.has(box.value);
    });
  }

  fillPager(pager, data) {
    const page = data.page || 1;
    const pages = data.pages || 1;
    pager.box.hidden = pages <= 1 && pager.where === 'bottom';
    pager.previous.hidden = pager.next.hidden = pages <= 1;
    pager.previous.disabled = page <= 1;
    pager.next.disabled = page >= pages;
    pager.jump.max = String(pages);
    pager.jump.hidden = pages <= 1;
    pager.summary.textContent = (pager.where === 'top' ? data.summaryTop : data.summary) || '';
    if (pager.size) this.fillLayout(pager, data);
    pager.numbers.replaceChildren();
    for (const number of pageNumbers(page, pages)) {
      if (number === null) {
        pager.numbers.appendChild(element('span', 'ct-gap', '…'));
        continue;
      }
      const button = element('button', 'ct-page', String(number));
      button.type = 'button';
      button.setAttribute('aria-label', 'Page ' + number);
      if (number === page) button.setAttribute('aria-current', 'page');
      button.addEventListener('click', () => {
        this.turnTo(number);
        // From the bottom pager the editor goes on reading from the top of the new page.
        if (pager.where === 'bottom') this.root.scrollIntoView({ block: 'start' });
      });
      pager.numbers.appendChild(button);
    }
    if (pager.where === 'bottom' && !pager.scrollsUp) {
      pager.scrollsUp = true;
      for (const button of [pager.previous, pager.next]) {
        button.addEventListener('click', () => this.root.scrollIntoView({ block: 'start' }));
      }
    }
  }

  // --- the keyboard ---------------------------------------------------------------------------------

  controls(view) {
    const list = [view.published, view.selected, view.edit];
    if (view.link.hasAttribute('href')) list.push(view.link);
    return list;
  }

  shownRows() {
    return this.rows.filter((view) => view.tr.isConnected);
  }

  rememberFocus(target) {
    this.shownRows().forEach((view, row) => {
      const cell = this.controls(view).indexOf(target);
      if (cell >= 0) this.focusAt = { row, cell };
    });
    this.placeTabStop(false);
  }

  placeTabStop(focus) {
    const rows = this.shownRows();
    if (!rows.length) return;
    const row = Math.min(this.focusAt.row, rows.length - 1);
    const controls = this.controls(rows[row]);
    const cell = Math.min(this.focusAt.cell, controls.length - 1);
    this.focusAt = { row, cell };
    rows.forEach((view, index) => {
      this.controls(view).forEach((control, at) => {
        control.tabIndex = index === row && at === cell ? 0 : -1;
      });
      if (!view.link.hasAttribute('href')) view.link.removeAttribute('tabindex');
    });
    if (focus) controls[cell].focus();
  }

  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const rows = this.shownRows();
    const at = rows.findIndex((view) => this.controls(view).includes(event.target));
    if (at < 0) return;
    const view = rows[at];
    const cell = this.controls(view).indexOf(event.target);
    if (event.key in ROW_KEYS && !event.shiftKey) {
      event.preventDefault(); // the page does not scroll by a line; at the first or last row nothing moves
      const row = at + ROW_KEYS[event.key];
      if (row >= 0 && row < rows.length) {
        this.focusAt = { row, cell };
        this.placeTabStop(true);
      }
    } else if (event.key in CELL_KEYS && !event.shiftKey) {
      event.preventDefault();
      const next = cell + CELL_KEYS[event.key];
      if (next >= 0 && next < this.controls(view).length) {
        this.focusAt = { row: at, cell: next };
        this.placeTabStop(true);
      }
    } else if ((event.key === 'PageDown' || event.key === 'PageUp') && !event.shiftKey) {
      // The next or previous page; the focus stays on the same box of the same row.
      event.preventDefault();
      this.turnTo(this.data.page + (event.key === 'PageDown' ? 1 : -1));
    } else if (event.key === 'Enter' && event.target.type === 'checkbox') {
      event.preventDefault();
      this.open(this.rows.indexOf(view), 'open');
    } else if (event.key === 'e' && !event.shiftKey) {
      event.preventDefault();
      this.open(this.rows.indexOf(view), 'edit');
    }
  }
}

// Page numbers to show: the first, the last, and two either side of the current one; null is a gap.
function pageNumbers(page, pages) {
  const wanted = new Set([1, pages]);
  for (let number = page - 2; number <= page + 2; number += 1) if (number >= 1 && number <= pages) wanted.add(number);
  const sorted = [...wanted].sort((a, b) => a - b);
  const shown = [];
  sorted.forEach((number, index) => {
    if (index && number - sorted[index - 1] > 1) shown.push(null);
    shown.push(number);
  });
  return shown;
}
