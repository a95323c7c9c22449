// "Draw a digit": a pad, the drawing as MNIST would store it, and each model's reconstruction
// with its difference and PSNR, updated while the reader draws. Config (aelib.book.demos.draw_digit):
// { models: [{url, label, input, shape, ...}], digits: url }.
import { begin, button, DrawPad, fmt, h, loadDigits, Model, paint, panel, provenance, Updater } from "./common.mjs";

export async function mount(el) {
  const config = begin(el);
  const padCanvas = h("canvas", { className: "aelib-pad", title: "draw a digit here" });
  const drawn = panel("the input, 28 \u00d7 28");
  const shown = config.models.map((m) => panel(m.label));
  const row = h("div", { className: "aelib-demo-row" },
    h("div", { className: "aelib-panel aelib-panel-wide" }, padCanvas, h("span", {}, "draw here")), drawn.root, ...shown.map((p) => p.root));
  const state = { input: null, outputs: [], from: "" };
  const update = new Updater(el, async () => {
    if (!state.input) state.input = pad.digit(); // a stroke: read the pad again
    const input = state.input;
    state.outputs = await Promise.all(models.map((m) => m.run(input)));
    paint(drawn.canvas, input);
    drawn.note.textContent = state.from;
    shown.forEach((p, i) => {
      paint(p.canvas, state.outputs[i]);
      p.note.textContent = `${fmt.diff(input, state.outputs[i])}\n${fmt.psnr(input, state.outputs[i])}`;
    });
  });
  const pad = new DrawPad(padCanvas, () => { state.input = null; state.from = "your drawing"; update.request(); });
  const showDigit = (i) => {
    state.input = digits.get(i);
    state.from = `test digit ${i}`;
    pad.show(state.input);
    return update.request();
  };
  const controls = h("div", { className: "aelib-demo-controls" },
    button("Clear", () => { pad.clear(); state.input = null; state.from = "empty"; update.request(); }),
    button("Random test digit", () => showDigit(Math.floor(Math.random() * digits.count))));
  const [models, digits] = await Promise.all([Promise.all(config.models.map(Model.load)), loadDigits(config.digits)]);
  el.replaceChildren(row, controls, h("p", { className: "aelib-demo-note" }, provenance(config.models)));
  Object.assign(el.aelibDemo, {
    showDigit,
    idle: () => update.idle(),
    outputs: () => ({ input: Array.from(state.input), ...Object.fromEntries(
      config.models.map((m, i) => [m.name, Array.from(state.outputs[i])])) }),
  });
  await showDigit(0);
}
