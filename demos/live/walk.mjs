// "Walk the code": a pad over the test digits' 2-number codes, coloured by label; the point
// under the pointer is decoded live. Config (aelib.book.demos.walk_code):
// { models: [decoder], points: url, range: [x0, x1, y0, y1], start: [y1, y2] }.
import { begin, h, loadJson, Model, paint, panel, provenance, Updater } from "./common.mjs";

const SIZE = 320; // the pad's own pixels
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"]; // matplotlib's tab10, as the book's figures

export async function mount(el) {
  const config = begin(el);
  const [x0, x1, y0, y1] = config.range;
  const toPad = ([a, b]) => [((a - x0) / (x1 - x0)) * SIZE, SIZE - ((b - y0) / (y1 - y0)) * SIZE];
  const fromPad = (px, py) => [x0 + (px / SIZE) * (x1 - x0), y0 + (1 - py / SIZE) * (y1 - y0)];
  const [decoder, points] = await Promise.all([Model.load(config.models[0]), loadJson(config.points, "codes")]);

  const scatter = h("canvas", { width: SIZE, height: SIZE }); // drawn once, copied under the marker
  const sc = scatter.getContext("2d");
  sc.fillStyle = "#fff";
  sc.fillRect(0, 0, SIZE, SIZE);
  sc.globalAlpha = 0.6;
  for (let i = 0; i < points.labels.length; i++) {
    const [px, py] = toPad([points.codes[2 * i], points.codes[2 * i + 1]]);
    sc.fillStyle = COLOURS[points.labels[i] % 10];
    sc.fillRect(px - 1.5, py - 1.5, 3, 3);
  }

  const pad = h("canvas", { className: "aelib-walk-pad", width: SIZE, height: SIZE, tabIndex: 0,
    title: "drag to choose the code; arrow keys move it" });
  const where = panel("the code", pad);
  where.root.classList.add("aelib-panel-wide");
  const out = panel("the decoder's image of it");
  const legend = h("div", { className: "aelib-legend" }, "test digits' codes: ",
    ...COLOURS.map((c, d) => h("span", {}, h("i", { style: `background:${c}` }), String(d))));
  const state = { code: config.start.slice(), image: null };
  const update = new Updater(el, async () => {
    const code = state.code.slice();
    state.image = await decoder.run(code);
    paint(out.canvas, state.image);
    const ctx = pad.getContext("2d");
    ctx.drawImage(scatter, 0, 0);
    const [px, py] = toPad(code);
    Object.assign(ctx, { strokeStyle: "#000", lineWidth: 2 });
    ctx.beginPath();
    ctx.arc(px, py, 7, 0, 2 * Math.PI);
    ctx.moveTo(px - 11, py); ctx.lineTo(px + 11, py); ctx.moveTo(px, py - 11); ctx.lineTo(px, py + 11);
    ctx.stroke();
    where.note.textContent = `(${code[0].toFixed(2)}, ${code[1].toFixed(2)})`;
    state.shown = code;
  });
  const setCode = (a, b) => { state.code = [a, b]; return update.request(); };
  const fromEvent = (e) => {
    const r = pad.getBoundingClientRect();
    const clamp = (v) => Math.min(SIZE, Math.max(0, v));
    setCode(...fromPad(clamp(((e.clientX - r.left) * SIZE) / r.width), clamp(((e.clientY - r.top) * SIZE) / r.height)));
  };
  let dragging = false;
  pad.addEventListener("pointerdown", (e) => { dragging = true; pad.setPointerCapture(e.pointerId); fromEvent(e); e.preventDefault(); });
  pad.addEventListener("pointermove", (e) => { if (dragging) fromEvent(e); });
  for (const type of ["pointerup", "pointercancel"]) pad.addEventListener(type, () => { dragging = false; });
  pad.addEventListener("keydown", (e) => {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
    if (!step) return;
    e.preventDefault();
    setCode(state.code[0] + step[0] * 0.02 * (x1 - x0), state.code[1] + step[1] * 0.02 * (y1 - y0));
  });

  el.replaceChildren(h("div", { className: "aelib-demo-row" }, where.root, out.root), legend,
    h("p", { className: "aelib-demo-note" }, provenance(config.models)));
  Object.assign(el.aelibDemo, {
    setCode,
    idle: () => update.idle(),
    outputs: () => ({ code: state.shown, decoded: Array.from(state.image) }),
  });
  await update.request();
}
