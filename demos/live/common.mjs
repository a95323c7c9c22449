// Shared by the live demos (draw.mjs, walk.mjs, noise.mjs): the runtime and the models, the
// test digits, the drawing pad with MNIST's preprocessing, the book's noise model and measures,
// and the page elements. Written by aelib.book.demos's HTML: a div.aelib-demo whose data-config
// names the files in data/ (relative to this folder, so any page depth works).

const ORT = new URL("./ort/", import.meta.url).href;
export const SIDE = 28; // MNIST digits are 28 x 28
const PAD = 224; // the drawing pad's own pixels: 8 per digit pixel
const STROKE = 18; // pen width on the pad: about 2 digit pixels once the ink is fit into 20 x 20

let runtime = null;

function loadRuntime() {
  runtime ??= import(ORT + "ort.wasm.min.mjs").then((ort) => {
    ort.env.wasm.wasmPaths = ORT; // the site's own copy of the wasm files: nothing from a CDN
    ort.env.wasm.numThreads = 1; // more threads need cross-origin isolation, which static hosts rarely give
    ort.env.logLevel = "error";
    performance.mark("aelib-demo: runtime imported");
    return ort;
  });
  return runtime;
}

async function fetchOk(url, what) {
  const r = await fetch(new URL(url, import.meta.url));
  if (!r.ok) throw new Error(`${what}: HTTP ${r.status} for ${r.url}`);
  return r;
}

// One exported model (see aelib/book/onnx_export.py): a Float32Array in, a Float32Array out.
export class Model {
  constructor(ort, session, spec) {
    Object.assign(this, { ort, session, spec });
  }

  static async load(spec) {
    const [ort, bytes] = await Promise.all([loadRuntime(), fetchOk(spec.url, spec.label).then((r) => r.arrayBuffer())]);
    const session = await ort.InferenceSession.create(new Uint8Array(bytes),
      { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    performance.mark(`aelib-demo: ${spec.name} ready`); // where the time to first inference goes
    return new Model(ort, session, spec);
  }

  async run(input) {
    const feeds = { [this.spec.input]: new this.ort.Tensor("float32", Float32Array.from(input), this.spec.shape) };
    const out = await this.session.run(feeds);
    return Float32Array.from(out[this.session.outputNames[0]].data);
  }
}

// ~100 test digits as uint8 (written by aelib.book.demos); get(i) gives floats k / 255, as to_float.
export async function loadDigits(url) {
  const d = await (await fetchOk(url, "test digits")).json();
  const bytes = Uint8Array.from(atob(d.pixels), (c) => c.charCodeAt(0));
  const n = d.side * d.side;
  return { count: d.count, get: (i) => Float32Array.from(bytes.subarray(i * n, (i + 1) * n), (v) => v / 255) };
}

export async function loadJson(url, what) {
  return (await fetchOk(url, what)).json();
}

// aelib.metrics: difference = mean |x - y|; psnr = 10 log10(1 / mse), capped at 100 dB.
export function difference(x, y) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] - y[i]);
  return s / x.length;
}

export function psnr(x, y) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
  return 10 * Math.log10(1 / Math.max(s / x.length, 1e-10));
}

// aelib.noise's Gaussian model, x + f N(0, 1) clipped to [0, 1], with one fixed pattern per seed
// (as noisy_copy: changing f scales the same draws). The generator is JavaScript's own
// (mulberry32 and Box-Muller), so the pattern differs from torch's for the same seed.
export function gaussian(seed, n = SIDE * SIDE) {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const z = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())), phi = 2 * Math.PI * rand();
    z[i] = r * Math.cos(phi);
    if (i + 1 < n) z[i + 1] = r * Math.sin(phi);
  }
  return z;
}

export function addNoise(x, z, f) {
  return Float32Array.from(x, (v, i) => Math.min(1, Math.max(0, v + f * z[i])));
}

// The 3 x 3 median filter of aelib.denoise.classical (scipy's median_filter, mode "nearest").
export function median3(img, side = SIDE) {
  const out = new Float32Array(img.length), w = new Float32Array(9);
  const at = (v) => Math.min(side - 1, Math.max(0, v));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let k = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) w[k++] = img[at(y + dy) * side + at(x + dx)];
      w.sort();
      out[y * side + x] = w[4];
    }
  }
  return out;
}

// MNIST's preprocessing (LeCun et al.): the ink's bounding box scaled to fit a 20 x 20 box
// (area averaging keeps the grey edges), then placed in 28 x 28 with its centre of mass at the centre.
export function mnistify(ink, side) {
  let x0 = side, y0 = side, x1 = -1, y1 = -1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (ink[y * side + x] > 0.01) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  const out = new Float32Array(SIDE * SIDE);
  if (x1 < 0) return out; // no ink: an empty digit
  const w = x1 - x0 + 1, h = y1 - y0 + 1, s = 20 / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * s)), th = Math.max(1, Math.round(h * s));
  const box = new Float32Array(tw * th);
  let m = 0, cx = 0, cy = 0;
  for (let i = 0; i < th; i++) {
    for (let j = 0; j < tw; j++) {
      const v = areaMean(ink, side, x0 + (j * w) / tw, y0 + (i * h) / th, w / tw, h / th);
      box[i * tw + j] = v;
      m += v; cx += (j + 0.5) * v; cy += (i + 0.5) * v;
    }
  }
  const ox = Math.round(SIDE / 2 - cx / m), oy = Math.round(SIDE / 2 - cy / m);
  for (let i = 0; i < th; i++) {
    for (let j = 0; j < tw; j++) {
      const X = j + ox, Y = i + oy;
      if (X >= 0 && X < SIDE && Y >= 0 && Y < SIDE) out[Y * SIDE + X] = Math.min(1, box[i * tw + j]);
    }
  }
  return out;
}

function areaMean(ink, side, x, y, w, h) { // mean of ink over the rectangle [x, x + w) x [y, y + h)
  let sum = 0;
  for (let yy = Math.floor(y); yy < Math.min(side, Math.ceil(y + h)); yy++) {
    const fy = Math.min(yy + 1, y + h) - Math.max(yy, y);
    for (let xx = Math.floor(x); xx < Math.min(side, Math.ceil(x + w)); xx++) {
      const fx = Math.min(xx + 1, x + w) - Math.max(xx, x);
      if (fx > 0 && fy > 0) sum += ink[yy * side + xx] * fx * fy;
    }
  }
  return sum / (w * h);
}

// A black pad drawn white with a mouse, pen or finger (pointer events).
export class DrawPad {
  constructor(canvas, onDraw) {
    Object.assign(this, { canvas, last: null });
    canvas.width = canvas.height = PAD;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.clear();
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last, this.last);
      onDraw();
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.last) return;
      for (const c of e.getCoalescedEvents?.() ?? [e]) {
        const p = this.point(c);
        this.stroke(this.last, p);
        this.last = p;
      }
      onDraw();
    });
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, () => { this.last = null; });
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * PAD) / r.width, ((e.clientY - r.top) * PAD) / r.height];
  }

  stroke(a, b) {
    const c = this.ctx;
    Object.assign(c, { strokeStyle: "#fff", lineWidth: STROKE, lineCap: "round", lineJoin: "round" });
    c.beginPath();
    c.moveTo(...a);
    c.lineTo(...b);
    c.stroke();
  }

  clear() {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, PAD, PAD);
  }

  show(img) { // a 28 x 28 digit, scaled up smoothly, to draw over
    const small = document.createElement("canvas");
    paint(small, img);
    this.clear();
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(small, 0, 0, PAD, PAD);
  }

  digit() { // what the pad holds, as an MNIST digit
    const d = this.ctx.getImageData(0, 0, PAD, PAD).data;
    const ink = new Float32Array(PAD * PAD);
    for (let i = 0; i < ink.length; i++) ink[i] = d[4 * i] / 255;
    return mnistify(ink, PAD);
  }
}

export function paint(canvas, img, side = SIDE) {
  canvas.width = canvas.height = side;
  const ctx = canvas.getContext("2d");
  const im = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.round(Math.min(1, Math.max(0, img[i])) * 255);
    im.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(im, 0, 0);
}

export function h(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

// One image with a title and a line for its numbers.
export function panel(title, canvas = h("canvas", { className: "aelib-digit" })) {
  const note = h("span", { className: "aelib-metric" }, "\u00a0");
  return { root: h("div", { className: "aelib-panel" }, canvas, h("span", {}, title), note), canvas, note };
}

export function button(label, onClick) {
  return h("button", { type: "button", className: "aelib-button", onclick: onClick }, label);
}

export const fmt = {
  diff: (x, y) => `difference ${difference(x, y).toFixed(3)}`,
  psnr: (x, y) => `PSNR ${psnr(x, y).toFixed(1)} dB`,
};

// Start a demo: its stylesheet, its config, a "loading" state, and the hook tests read
// (el.aelibDemo: outputs(), idle(), updates in ms, and each demo's own setters).
export function begin(el) {
  const css = new URL("demos.css", import.meta.url).href;
  if (!document.querySelector(`link[href="${css}"]`)) document.head.append(h("link", { rel: "stylesheet", href: css }));
  el.dataset.state = "loading";
  el.querySelector(".aelib-demo-note").textContent = "Loading the live demo\u2026";
  const config = JSON.parse(el.dataset.config);
  el.aelibDemo = { updates: [], started: performance.now() };
  return config;
}

// What the page says about the models it runs: where they come from, and how close they are to PyTorch.
export function provenance(models) {
  return "Runs in your browser with onnxruntime-web: " + models.map((m) =>
    `${m.label} (${m.weights} weights; largest difference from PyTorch ${m.max_abs_diff.toExponential(1)} over ` +
    `${m.n_checked} test inputs)`).join("; ") + ".";
}

// Runs `work` (async) whenever asked, never twice at once: requests made while it runs fold into
// one more run. Marks the demo ready after the first run and keeps each run's duration.
export class Updater {
  constructor(el, work) {
    Object.assign(this, { el, work, busy: null, again: false });
  }

  request() {
    if (this.busy) { this.again = true; return this.busy; }
    this.busy = (async () => {
      try {
        do {
          this.again = false;
          const t = performance.now();
          await this.work();
          this.done(performance.now() - t);
        } while (this.again);
      } catch (e) {
        fail(this.el, e);
      } finally {
        this.busy = null;
      }
    })();
    return this.busy;
  }

  done(ms) {
    const d = this.el.dataset, hook = this.el.aelibDemo;
    hook.updates.push(ms);
    d.updateMs = ms.toFixed(2);
    if (d.state !== "ready") {
      d.firstInferenceMs = performance.now().toFixed(0); // since the page's navigation started
      d.startupMs = (performance.now() - hook.started).toFixed(0); // since this demo's module started
      d.state = "ready";
    }
  }

  idle() {
    return this.busy ?? Promise.resolve();
  }
}

export function fail(el, e) {
  el.dataset.state = "error";
  const note = el.querySelector(".aelib-demo-note") ?? el.appendChild(h("p", { className: "aelib-demo-note" }));
  note.textContent = "The live demo stopped: " + (e?.message ?? e);
  console.error(e);
}
