// "Turn up the noise": a clean digit (a test digit, or drawn), the book's Gaussian noise at the
// slider's factor with a seeded pattern, the denoising autoencoder's output and a 3 x 3 median
// filter's, each with its PSNR against the clean digit. Config (aelib.book.demos.turn_up_noise):
// { models: [denoiser], digits: url, factor: the slider's start, title: the model's panel }. A
// denoiser with two input channels is told the noise level: the second holds the slider's factor.
import { addNoise, begin, button, DrawPad, fmt, gaussian, h, loadDigits, median3, Model, paint, panel,
  provenance, Updater } from "./common.mjs";

export async function mount(el) {
  const config = begin(el);
  const [model, digits] = await Promise.all([Model.load(config.models[0]), loadDigits(config.digits)]);
  const cleanPad = h("canvas", { className: "aelib-pad aelib-pad-small", title: "draw over the digit, or clear it and draw your own" });
  const clean = panel("clean (draw on it)", cleanPad);
  const noisy = panel("noisy input");
  const denoised = panel(config.title);
  const median = panel("median filter, 3 \u00d7 3");
  const slider = h("input", { type: "range", min: 0, max: 1, step: 0.01, value: config.factor });
  const factorText = h("span", { className: "aelib-metric" });
  const seedText = h("span", { className: "aelib-metric" });
  const state = { clean: null, from: "", factor: config.factor, seed: 0, z: gaussian(0), out: {} };
  const told = model.spec.shape[1] === 2; // aelib.noise.with_noise_level: the image, then the level map

  const update = new Updater(el, async () => {
    if (!state.clean) state.clean = pad.digit();
    const x = state.clean, f = state.factor;
    const xn = addNoise(x, state.z, f);
    const input = told ? Float32Array.from({ length: 2 * xn.length }, (_, i) => (i < xn.length ? xn[i] : f)) : xn;
    const [y, m] = [await model.run(input), median3(xn)];
    state.out = { clean: x, noisy: xn, denoised: y, median: m, factor: f, seed: state.seed };
    paint(noisy.canvas, xn);
    paint(denoised.canvas, y);
    paint(median.canvas, m);
    clean.note.textContent = state.from;
    noisy.note.textContent = fmt.psnr(x, xn);
    denoised.note.textContent = fmt.psnr(x, y);
    median.note.textContent = fmt.psnr(x, m);
    factorText.textContent = `f = ${f.toFixed(2)}`;
    seedText.textContent = `pattern ${state.seed}`;
  });
  const pad = new DrawPad(cleanPad, () => { state.clean = null; state.from = "your drawing"; update.request(); });
  const showDigit = (i) => {
    state.clean = digits.get(i);
    state.from = `test digit ${i}`;
    pad.show(state.clean);
    return update.request();
  };
  const setNoise = (f) => { state.factor = Number(f); slider.value = f; return update.request(); };
  const setSeed = (s) => { state.seed = s; state.z = gaussian(s); return update.request(); };
  slider.addEventListener("input", () => setNoise(slider.value));

  const controls = h("div", { className: "aelib-demo-controls" },
    h("label", {}, "noise: x + f\u00b7N(0, 1), clipped ", slider), factorText,
    button("New noise pattern", () => setSeed(state.seed + 1)), seedText,
    button("Random test digit", () => showDigit(Math.floor(Math.random() * digits.count))),
    button("Clear", () => { pad.clear(); state.clean = null; state.from = "empty"; update.request(); }));
  el.replaceChildren(h("div", { className: "aelib-demo-row" }, clean.root, noisy.root, denoised.root, median.root),
    controls, h("p", { className: "aelib-demo-note" }, provenance(config.models)));
  Object.assign(el.aelibDemo, {
    showDigit, setNoise, setSeed,
    idle: () => update.idle(),
    outputs: () => Object.fromEntries(Object.entries(state.out).map(([k, v]) => [k, typeof v === "number" ? v : Array.from(v)])),
  });
  await showDigit(0);
}
