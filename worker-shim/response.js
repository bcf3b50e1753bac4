// The core's answer as the runtime's Response init, built with as few calls
// into the runtime as possible. No decision: the headers, their order and
// their values are the core's.

// The core's headers as a Response's init: an object of name -> value, in
// the core's order, which the runtime reads without running JavaScript (a
// list of pairs it would walk with the iterator protocol, a call back into
// JavaScript per step; an append is a call per header). The core sends each
// name once; a list that repeats one is appended pair by pair, and so is one
// holding "__proto__" (a record converter that assigns into a plain object,
// as Node's does, would drop it).
export function headerInit(list) {
  const init = Object.create(null);
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i];
    if (name in init || name === "__proto__") return appended(list);
    init[name] = value;
  }
  return init;
}

function appended(list) {
  const headers = new Headers();
  for (const [name, value] of list) headers.append(name, value);
  return headers;
}
