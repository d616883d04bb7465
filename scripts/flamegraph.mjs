#!/usr/bin/env node
// A .cpuprofile (node --cpu-prof, or Chromium's Profiler domain over CDP) -> flame graph as one self-contained SVG, plus
// the top functions by self time on stdout. No dependencies, nothing fetched: the SVG is plain rectangles and text with a
// <title> per frame (hover shows name, location, total and self time).
// Usage: node scripts/flamegraph.mjs <in.cpuprofile> <out.svg> [--title "text"] [--top 25] [--min-ms 0.5] [--width 1600]
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Per node id: self time in ms, from the sample stream (timeDeltas[i] is the time since the previous sample). */
export function selfTimes(profile) {
  const self = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    // Sample i lasted until sample i+1: attribute the next delta to it (the last sample gets the mean).
    const next = timeDeltas[i + 1];
    const us = next !== undefined ? next : timeDeltas.length ? timeDeltas.reduce((a, b) => a + b, 0) / timeDeltas.length : 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, us) / 1000);
  }
  return self;
}

const frameName = (cf) => cf.functionName || '(anonymous)';
const frameWhere = (cf) => (cf.url ? `${cf.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${cf.lineNumber + 1}` : '');

/** Builds {name, where, self, total, children[]} from the profile's node list (children merged by name+location). */
export function callTree(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = selfTimes(profile);
  const parent = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const roots = profile.nodes.filter((n) => !parent.has(n.id));
  const build = (n) => {
    const kids = new Map();
    for (const cid of n.children ?? []) {
      const c = build(byId.get(cid));
      const key = `${c.name}@${c.where}`;
      const had = kids.get(key);
      if (had) merge(had, c);
      else kids.set(key, c);
    }
    const children = [...kids.values()].sort((a, b) => b.total - a.total);
    const s = self.get(n.id) ?? 0;
    return {
      name: frameName(n.callFrame),
      where: frameWhere(n.callFrame),
      self: s,
      total: s + children.reduce((a, c) => a + c.total, 0),
      children,
    };
  };
  const merge = (into, from) => {
    into.self += from.self;
    into.total += from.total;
    for (const c of from.children) {
      const same = into.children.find((x) => x.name === c.name && x.where === c.where);
      if (same) merge(same, c);
      else into.children.push(c);
    }
  };
  const top = roots.map(build);
  return top.length === 1 ? top[0] : { name: '(root)', where: '', self: 0, total: top.reduce((a, c) => a + c.total, 0), children: top };
}

/** Self time summed per function (name + location), largest first. */
export function topSelf(tree, n) {
  const acc = new Map();
  const walk = (t) => {
    const key = t.where ? `${t.name} ${t.where}` : t.name;
    acc.set(key, (acc.get(key) ?? 0) + t.self);
    t.children.forEach(walk);
  };
  walk(tree);
  return [...acc.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function colour(name, where) {
  if (name.startsWith('(')) return 'rgb(200,200,200)';
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  // Warm colours for our code, cooler ones for dependencies and the engine.
  const ours = /^(main|renderer|app|bench|network)\//.test(where) || /\/(main|renderer|app)\/[^/]+$/.test(where);
  const vendor = /node_modules|node:/.test(where) || where === '';
  const r = ours ? 230 : vendor ? 120 + (h % 60) : 200;
  const g = ours ? 120 + (h % 100) : vendor ? 150 + (h % 60) : 140 + (h % 80);
  const b = ours ? 40 + (h % 40) : vendor ? 200 + (h % 50) : 60;
  return `rgb(${r},${g},${b})`;
}

/** The SVG text: root at the bottom, width proportional to total time; frames narrower than minPx are dropped. */
export function renderSvg(tree, { title, width = 1600, rowH = 17, minPx = 0.3 } = {}) {
  const rows = [];
  let depthMax = 0;
  const place = (t, x, depth) => {
    const w = (t.total / tree.total) * (width - 20);
    if (w < minPx) return;
    depthMax = Math.max(depthMax, depth);
    rows.push({ t, x, w, depth });
    let cx = x;
    for (const c of t.children) {
      place(c, cx, depth + 1);
      cx += (c.total / tree.total) * (width - 20);
    }
  };
  place(tree, 10, 0);
  const top = 40;
  const height = top + (depthMax + 1) * rowH + 20;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fdfdf6"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(title ?? 'CPU profile')}</text>`,
    `<text x="10" y="34" fill="#555">total ${tree.total.toFixed(0)} ms sampled; width = time including callees; hover a frame for details</text>`,
  ];
  for (const { t, x, w, depth } of rows) {
    const y = height - 20 - (depth + 1) * rowH;
    const pct = ((t.total / tree.total) * 100).toFixed(1);
    const label = `${t.name}${t.where ? ` (${t.where})` : ''}`;
    const chars = Math.floor((w - 4) / 6.6);
    out.push(
      `<g><title>${esc(label)}: ${t.total.toFixed(1)} ms (${pct}%), self ${t.self.toFixed(1)} ms</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 1}" fill="${colour(t.name, t.where)}" rx="1"/>` +
        (chars >= 3
          ? `<text x="${(x + 2).toFixed(2)}" y="${y + rowH - 5}">${esc(label.length > chars ? `${label.slice(0, chars - 2)}..` : label)}</text>`
          : '') +
        `</g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

function main(argv) {
  const [input, output, ...rest] = argv;
  if (!input || !output) {
    console.error('usage: node scripts/flamegraph.mjs <in.cpuprofile> <out.svg> [--title T] [--top N] [--width PX]');
    process.exit(2);
  }
  const opt = (name, dflt) => {
    const i = rest.indexOf(name);
    return i >= 0 && rest[i + 1] !== undefined ? rest[i + 1] : dflt;
  };
  const profile = JSON.parse(readFileSync(input, 'utf8'));
  const tree = callTree(profile);
  writeFileSync(output, renderSvg(tree, { title: opt('--title', basename(input)), width: Number(opt('--width', 1600)) }));
  const n = Number(opt('--top', 25));
  console.log(`${basename(input)}: ${tree.total.toFixed(0)} ms sampled; top ${n} by self time:`);
  for (const [k, ms] of topSelf(tree, n))
    console.log(`${ms.toFixed(1).padStart(9)} ms ${((ms / tree.total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main(process.argv.slice(2));
