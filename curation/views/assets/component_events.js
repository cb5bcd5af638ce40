// What the dashboard's components share (imported by articles_table.js and triage_card.js): one drawing
// object per mounted element, text-only elements, the http(s) check of a link, and the queue of events
// sent to the server.
//
// Every action goes into one queue with sequence numbers, sent whole as the component's state; the
// server applies each number once (curation/views/event_queue.py) and sends back the last it applied,
// and the queue drops what was applied. So an action made while the server is still answering the last
// one is neither lost nor applied twice.

const instances = new WeakMap();

// The component's default export: one `Drawing` per element, made on the first call and kept while the
// element is mounted (Streamlit calls again on every data change; the DOM persists), given the new data
// and the function that sends state; it is detached when the element is unmounted.
export function drawInto(component, Drawing) {
  const { data, parentElement, setStateValue } = component;
  let drawing = instances.get(parentElement);
  if (!drawing) {
    drawing = new Drawing(parentElement);
    instances.set(parentElement, drawing);
  }
  drawing.send = setStateValue;
  drawing.update(data);
  return () => {
    drawing.detach();
    instances.delete(parentElement);
  };
}

export function httpUrl(value) {
  if (typeof value !== 'string' || /[\s\u0000-\u001f]/.test(value)) return null;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url.href : null;
  } catch (error) {
    return null;
  }
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class EventQueue {
  constructor() {
    this.client = Math.random().toString(36).slice(2) + Date.now().toString(36);
    this.sequence = 0;
    this.events = []; // sent and not yet answered, oldest first
  }

  // Number the event and send the whole unanswered queue through the component's setStateValue.
  push(event, send) {
    this.sequence += 1;
    this.events.push({ ...event, seq: this.sequence });
    send('events', { client: this.client, events: this.events.slice() });
  }

  // Drop the events the server says it applied (`applied`: client -> last number); returns them.
  acknowledge(applied) {
    const last = applied && typeof applied[this.client] === 'number' ? applied[this.client] : 0;
    const answered = this.events.filter((event) => event.seq <= last);
    if (answered.length) this.events = this.events.filter((event) => event.seq > last);
    return answered;
  }
}
