// The image worker's steps done by sharp (libvips), timed over one file:
// decode, orient, strip, the <= 1920 px JPEG copy, the 256 px JPEG thumbnail, and the
// measurements (mean, deviation, Laplacian variance of a <= 512 px grey copy).
//
// Two ways of writing it, both timed, the faster is the bar:
//   "pipelines": sharp's idiom, one pipeline per output from the upload (each gets
//                libvips' shrink-on-load for its own size);
//   "one-decode": one decode to the 1920 px copy, the thumbnail and the grey copy from it.
//
// usage: node sharp-worker.mjs FILE RUNS   (prints JSON: median and all times in ms)
import { readFileSync } from "node:fs";
import sharp from "sharp";

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 7);
const upload = readFileSync(file);
sharp.cache(false);
if (process.env.SHARP_THREADS) sharp.concurrency(Number(process.env.SHARP_THREADS));

function measure({ data, info }) {
  const { width: w, height: h } = info;
  let sum = 0, sumSq = 0;
  for (let i = 0; i < data.length; i++) { sum += data[i]; sumSq += data[i] * data[i]; }
  const n = Math.max(w * h, 1);
  const mean = sum / n;
  const std = Math.sqrt(Math.max(sumSq / n - mean * mean, 0));
  let ls = 0, lsq = 0, ln = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = data[i - 1] + data[i + 1] + data[i - w] + data[i + w] - 4 * data[i];
      ls += lap; lsq += lap * lap; ln++;
    }
  }
  const lm = ls / Math.max(ln, 1);
  return { mean, std, blur: Math.max(lsq / Math.max(ln, 1) - lm * lm, 0) };
}

const limits = { limitInputPixels: 10000 * 10000, failOn: "error" };
const inside = (side) => ({ width: side, height: side, fit: "inside", withoutEnlargement: true });

async function pipelines() {
  const kept = await sharp(upload, limits).rotate().resize(inside(1920)).jpeg({ quality: 85 }).toBuffer();
  const thumb = await sharp(upload, limits).rotate().resize(inside(256)).jpeg({ quality: 85 }).toBuffer();
  const grey = await sharp(upload, limits).rotate().resize(inside(512)).greyscale().raw()
    .toBuffer({ resolveWithObject: true });
  return { kept: kept.length, thumb: thumb.length, ...measure(grey) };
}

async function oneDecode() {
  const { data, info } = await sharp(upload, limits).rotate().resize(inside(1920)).raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const kept = await sharp(data, raw).jpeg({ quality: 85 }).toBuffer();
  const thumb = await sharp(data, raw).resize(inside(256)).jpeg({ quality: 85 }).toBuffer();
  const grey = await sharp(data, raw).resize(inside(512)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { kept: kept.length, thumb: thumb.length, ...measure(grey) };
}

async function timed(fn) {
  await fn(); // warm-up: loads libvips' operations and fills its buffers
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    last = await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median_ms: sorted[Math.floor(sorted.length / 2)], times_ms: times.map((t) => +t.toFixed(1)), result: last };
}

const result = {
  sharp: sharp.versions.sharp,
  vips: sharp.versions.vips,
  threads: sharp.concurrency(),
  pipelines: await timed(pipelines),
  one_decode: await timed(oneDecode),
};
console.log(JSON.stringify(result));
