/* The HTML report's script: decodes the embedded columns, draws the overview and the swimlanes (canvas 2D,
 * min-max per pixel), fills the virtualised process table and the tree, keeps the view in the URL fragment,
 * and runs its own self-test when opened with #selftest. Written for memwatch; no library. */
'use strict';
(function () {
  // Okabe-Ito: distinguishable with every common colour-vision deficiency; grey is "other".
  const PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'];
  const TOP_GROUPS = 7;
  const KINDS = ['none', 'sampled', 'bound', 'exact'];
  const KIND_TEXT = { exact: 'exact', sampled: 'sampled (lower bound)', bound: 'bound (upper bound)', none: 'unknown' };
  const ENDS = ['running', 'exited', 'signaled', 'gone'];
  const ROW_H = 26;
  const MIN_SPAN_MS = 1;
  const $ = (id) => document.getElementById(id);

  /* ---------- units ---------- */
  function fmtKiB(kib) {
    if (kib === null || kib === undefined || !isFinite(kib)) return 'unknown';
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = kib, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (u === 0 || v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[u];
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return 'unknown';
    if (ms < 1000) return Math.round(ms) + ' ms';
    const s = ms / 1000;
    if (s < 60) return (s < 10 ? s.toFixed(2) : s.toFixed(1)) + ' s';
    const m = Math.floor(s / 60), rs = Math.round(s - m * 60);
    if (m < 60) return m + ' min ' + rs + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text; // every text of the report reaches the DOM this way
    return e;
  }
  function kindBadge(kind) {
    const b = el('span', 'kind ' + kind, kind === 'none' ? 'unknown' : kind);
    b.title = KIND_TEXT[kind] || KIND_TEXT.none;
    return b;
  }

  /* ---------- data ---------- */
  async function loadData() {
    const node = $('mw-data');
    const text = node.textContent;
    if (node.dataset.encoding === 'json') return JSON.parse(text);
    const bin = atob(text.replace(/\s+/g, ''));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return JSON.parse(await new Response(stream).text());
  }
  function undelta(a) {
    const out = new Float64Array(a.length);
    let acc = 0;
    for (let i = 0; i < a.length; i++) { acc += a[i]; out[i] = acc; }
    return out;
  }

  function buildModel(d) {
    const p = d.p, n = p.pid.length;
    const M = { d: d, n: n };
    M.pid = undelta(p.pid);
    M.ppid = p.ppid;
    M.start = undelta(p.start);
    M.end = new Float64Array(n);
    for (let i = 0; i < n; i++) M.end[i] = M.start[i] + p.life[i];
    M.peak = undelta(p.peak);
    M.kind = p.kind.map((k) => KINDS[k] || 'none');
    M.peakMs = p.peak_ms;
    M.group = p.group;
    M.endKind = p.end;
    M.code = p.code;
    M.cmd = p.cmd;
    M.groups = d.groups.length ? d.groups : ['?'];
    M.slot = (g) => (g < TOP_GROUPS ? g : TOP_GROUPS);
    M.nSlots = Math.min(M.groups.length, TOP_GROUPS) + (M.groups.length > TOP_GROUPS ? 1 : 0);
    // Series: offsets into one flat array of bucket maxima (0: no sample in that bucket).
    M.sT0 = d.s.t0; M.sBucket = d.s.bucket; M.sN = d.s.n;
    M.sOff = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) M.sOff[i + 1] = M.sOff[i] + d.s.n[i];
    M.sV = undelta(d.s.v);
    M.tlT = undelta(d.tl.t); M.tlKib = undelta(d.tl.kib); M.tlN = undelta(d.tl.n);
    M.tlReduced = d.tl.reduced;
    let dur = d.duration_ms || 0;
    for (let i = 0; i < n; i++) dur = Math.max(dur, M.end[i]);
    if (M.tlT.length) dur = Math.max(dur, M.tlT[M.tlT.length - 1]);
    M.duration = Math.max(dur, MIN_SPAN_MS * 10);
    M.maxPeak = 0;
    for (let i = 0; i < n; i++) M.maxPeak = Math.max(M.maxPeak, M.peak[i]);
    M.byPid = new Map();
    for (let i = 0; i < n; i++) {
      const l = M.byPid.get(M.pid[i]);
      if (l) l.push(i); else M.byPid.set(M.pid[i], [i]);
    }
    // The most processes alive at once, from lifetimes (ends before starts at one instant).
    const ev = [];
    for (let i = 0; i < n; i++) { ev.push([M.start[i], 1]); ev.push([M.end[i], -1]); }
    ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let live = 0, most = 0, mostAt = 0;
    for (const e of ev) { live += e[1]; if (live > most) { most = live; mostAt = e[0]; } }
    M.mostAlive = most; M.mostAliveAt = mostAt;
    packLanes(M);
    buildTree(M);
    return M;
  }

  /* Job slots: each process takes the first row free when it starts. */
  function packLanes(M) {
    const order = Array.from({ length: M.n }, (_, i) => i).sort((a, b) => M.start[a] - M.start[b] || a - b);
    const rowEnd = [];
    M.lane = new Int32Array(M.n);
    M.laneItems = [];
    for (const i of order) {
      let r = 0;
      while (r < rowEnd.length && rowEnd[r] > M.start[i]) r++;
      if (r === rowEnd.length) { rowEnd.push(0); M.laneItems.push([]); }
      rowEnd[r] = Math.max(M.end[i], M.start[i] + MIN_SPAN_MS);
      M.lane[i] = r;
      M.laneItems[r].push(i);
    }
    M.nLanes = rowEnd.length;
  }

  /* The tree as memwatch built it (parents from the job table, never filtered): a process whose parent the
   * filter hid is shown at the top. Each node carries what its whole subtree held at one moment, hidden
   * processes included: at least lo (-1: unknown) .. at most up, a bound only when proven. */
  function buildTree(M) {
    const t = M.d.t;
    M.parent = Int32Array.from(t.parent);
    M.adopted = t.adopted;
    M.subCount = t.count;
    M.subLo = undelta(t.lo);
    M.subUp = undelta(t.up);
    M.subProven = t.proven;
    M.children = Array.from({ length: M.n }, () => []);
    M.roots = [];
    for (let i = 0; i < M.n; i++) (M.parent[i] >= 0 ? M.children[M.parent[i]] : M.roots).push(i);
    const byStart = (a, b) => M.start[a] - M.start[b] || M.pid[a] - M.pid[b];
    M.roots.sort(byStart);
    M.children.forEach((c) => c.sort(byStart));
  }
  /* "at least 24 MiB .. at most 52 MiB", as the summary says an interval; lo < 0: unknown; an unproven bound
   * is no bound. */
  function intervalText(lo, up, proven) {
    return 'at least ' + (lo >= 0 ? fmtKiB(lo) : 'n/a') + ' .. at most ' + (proven ? fmtKiB(up) : 'n/a (not proven)');
  }

  /* ---------- view state, kept in the URL fragment ---------- */
  const S = { t0: 0, t1: 1, mode: 'stack', sel: -1, sort: 'peak', dir: -1, q: '' };
  let M = null, selftest = false;
  function readHash() {
    const h = location.hash.replace(/^#/, '');
    S.t0 = 0; S.t1 = M.duration;
    for (const part of h.split('&')) {
      const [k, raw] = part.split('=');
      const v = raw === undefined ? '' : decodeURIComponent(raw);
      if (k === 'selftest') selftest = true;
      else if (k === 't0' || k === 't1') S[k] = Number(v);
      else if (k === 'mode' && ['stack', 'lines', 'percent'].includes(v)) S.mode = v;
      else if (k === 'sel') { const l = M.byPid.get(Number(v)); S.sel = l ? l[0] : -1; }
      else if (k === 'sort' && SORTS[v]) S.sort = v;
      else if (k === 'dir') S.dir = v === '1' ? 1 : -1;
      else if (k === 'q') S.q = v;
    }
    if (!(S.t1 > S.t0) || !isFinite(S.t0) || !isFinite(S.t1)) { S.t0 = 0; S.t1 = M.duration; }
    clampRange();
  }
  let hashTimer = 0;
  function writeHash() {
    clearTimeout(hashTimer);
    hashTimer = setTimeout(() => {
      const parts = [];
      if (selftest) parts.push('selftest');
      if (S.t0 > 0 || S.t1 < M.duration) parts.push('t0=' + Math.round(S.t0), 't1=' + Math.round(S.t1));
      if (S.mode !== 'stack') parts.push('mode=' + S.mode);
      if (S.sel >= 0) parts.push('sel=' + M.pid[S.sel]);
      if (S.sort !== 'peak' || S.dir !== -1) parts.push('sort=' + S.sort, 'dir=' + S.dir);
      if (S.q) parts.push('q=' + encodeURIComponent(S.q));
      history.replaceState(null, '', '#' + parts.join('&'));
    }, 50);
  }
  function clampRange() {
    let span = Math.max(MIN_SPAN_MS, Math.min(S.t1 - S.t0, M.duration));
    let t0 = Math.max(0, Math.min(S.t0, M.duration - span));
    S.t0 = t0; S.t1 = t0 + span;
  }
  function setRange(t0, t1) { S.t0 = t0; S.t1 = t1; clampRange(); changed(true); }
  function zoom(factor, at) {
    const c = at === undefined ? (S.t0 + S.t1) / 2 : at;
    setRange(c - (c - S.t0) * factor, c + (S.t1 - c) * factor);
  }
  function pan(frac) { const d = (S.t1 - S.t0) * frac; setRange(S.t0 + d, S.t1 + d); }

  /* ---------- canvases ---------- */
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function fitCanvas(cv, h) {
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth || 600;
    if (h) cv.style.height = h + 'px';
    const ch = h || cv.clientHeight || 300;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(ch * dpr)) {
      cv.width = Math.round(w * dpr); cv.height = Math.round(ch * dpr);
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { g: g, w: w, h: ch };
  }
  const PAD = { l: 64, r: 12, t: 10, b: 24 };
  function xOf(t, w) { return PAD.l + (t - S.t0) / (S.t1 - S.t0) * (w - PAD.l - PAD.r); }
  function tOf(x, w) { return S.t0 + (x - PAD.l) / (w - PAD.l - PAD.r) * (S.t1 - S.t0); }
  function niceStep(span, target) {
    const raw = span / target, p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function niceKiB(max, target) { // steps in powers of 1024 times 1, 2, 5
    let unit = 1;
    while (max / unit >= 1024 * 2) unit *= 1024;
    return niceStep(max / unit, target) * unit;
  }
  function drawTimeAxis(g, w, h) {
    g.fillStyle = css('--muted'); g.strokeStyle = css('--line'); g.font = '11px system-ui, sans-serif';
    g.textAlign = 'center'; g.textBaseline = 'top';
    const step = niceStep(S.t1 - S.t0, Math.max(2, (w - PAD.l) / 110));
    for (let t = Math.ceil(S.t0 / step) * step; t <= S.t1; t += step) {
      const x = xOf(t, w);
      g.beginPath(); g.moveTo(x, PAD.t); g.lineTo(x, h - PAD.b); g.stroke();
      g.fillText(fmtMs(t), x, h - PAD.b + 4);
    }
  }

  /* Per pixel column of the range, each stack slot's sum over processes of the process's highest bucket
   * touching that column: a peak never vanishes when zoomed out. */
  function slotColumns(w) {
    const cols = Math.max(1, Math.floor(w - PAD.l - PAD.r));
    const acc = Array.from({ length: M.nSlots }, () => new Float64Array(cols));
    const span = S.t1 - S.t0, scale = cols / span;
    for (let i = 0; i < M.n; i++) {
      const n = M.sN[i];
      if (!n || M.end[i] < S.t0 || M.start[i] > S.t1) continue;
      const a = acc[M.slot(M.group[i])], off = M.sOff[i], bw = M.sBucket[i], t0 = M.sT0[i];
      let lastPx = -1, lastV = 0;
      for (let k = 0; k < n; k++) {
        const v = M.sV[off + k];
        if (!v) continue;
        const b0 = Math.max(t0 + k * bw, M.start[i]), b1 = Math.min(t0 + (k + 1) * bw, Math.max(M.end[i], b0 + 1));
        if (b1 < S.t0 || b0 > S.t1) continue;
        let p0 = Math.floor((b0 - S.t0) * scale), p1 = Math.ceil((b1 - S.t0) * scale) - 1;
        p0 = Math.max(0, p0); p1 = Math.min(cols - 1, Math.max(p1, p0));
        for (let px = p0; px <= p1; px++) {
          if (px === lastPx) { if (v > lastV) { a[px] += v - lastV; lastV = v; } continue; }
          a[px] += v; lastPx = px; lastV = v;
        }
      }
    }
    return { cols: cols, acc: acc };
  }
  /* The sampled total per pixel column: min and max of the samples in it (NaN where none). */
  function totalColumns(cols) {
    const lo = new Float64Array(cols).fill(NaN), hi = new Float64Array(cols).fill(NaN);
    const span = S.t1 - S.t0;
    for (let i = 0; i < M.tlT.length; i++) {
      const t = M.tlT[i];
      if (t < S.t0 || t > S.t1) continue;
      const px = Math.min(cols - 1, Math.floor((t - S.t0) / span * cols));
      const v = M.tlKib[i];
      if (isNaN(hi[px]) || v > hi[px]) hi[px] = v;
      if (isNaN(lo[px]) || v < lo[px]) lo[px] = v;
    }
    return { lo: lo, hi: hi };
  }

  let overviewCache = null;
  function drawOverview() {
    const cv = $('mw-overview');
    const { g, w, h } = fitCanvas(cv);
    g.clearRect(0, 0, w, h);
    const { cols, acc } = slotColumns(w);
    const tot = totalColumns(cols);
    const stackTop = new Float64Array(cols);
    for (const a of acc) for (let x = 0; x < cols; x++) stackTop[x] += a[x];
    let ymax = 1;
    const up = M.d.total_upper;
    if (S.mode === 'percent') ymax = 100;
    else {
      for (let x = 0; x < cols; x++) {
        const v = S.mode === 'stack' ? stackTop[x] : Math.max(...acc.map((a) => a[x]));
        ymax = Math.max(ymax, v, isNaN(tot.hi[x]) ? 0 : tot.hi[x]);
      }
      if (up && up.proven && up.kib && up.kib <= ymax * 1.6) ymax = Math.max(ymax, up.kib);
      ymax *= 1.08;
    }
    const plotH = h - PAD.t - PAD.b;
    const yOf = (v) => PAD.t + plotH - v / ymax * plotH;
    // y axis
    g.fillStyle = css('--muted'); g.strokeStyle = css('--line'); g.font = '11px system-ui, sans-serif';
    g.textAlign = 'right'; g.textBaseline = 'middle';
    const ystep = S.mode === 'percent' ? 25 : niceKiB(ymax, 4);
    for (let v = 0; v <= ymax; v += ystep) {
      const y = yOf(v);
      g.beginPath(); g.moveTo(PAD.l, y); g.lineTo(w - PAD.r, y); g.stroke();
      g.fillText(S.mode === 'percent' ? v + ' %' : fmtKiB(v), PAD.l - 4, y);
    }
    drawTimeAxis(g, w, h);
    // groups
    const base = new Float64Array(cols);
    for (let s = 0; s < acc.length; s++) {
      const a = acc[s];
      g.fillStyle = PALETTE[s === TOP_GROUPS ? 7 : s];
      g.strokeStyle = PALETTE[s === TOP_GROUPS ? 7 : s];
      if (S.mode === 'lines') {
        g.lineWidth = 1.5; g.beginPath();
        for (let x = 0; x < cols; x++) { const y = yOf(a[x]); x ? g.lineTo(PAD.l + x, y) : g.moveTo(PAD.l, y); }
        g.stroke();
        continue;
      }
      g.globalAlpha = 0.85;
      for (let x = 0; x < cols; x++) {
        let v0 = base[x], v1 = base[x] + a[x];
        if (S.mode === 'percent') { const t = stackTop[x] || 1; v0 = v0 / t * 100; v1 = v1 / t * 100; }
        if (v1 > v0) g.fillRect(PAD.l + x, yOf(v1), 1, Math.max(0.5, yOf(v0) - yOf(v1)));
        base[x] += a[x];
      }
      g.globalAlpha = 1;
    }
    if (S.mode !== 'percent') {
      // the sampled total: min-max per column, joined
      g.strokeStyle = css('--fg'); g.lineWidth = 1.5; g.beginPath();
      let started2 = false;
      for (let x = 0; x < cols; x++) {
        if (isNaN(tot.hi[x])) continue;
        const X = PAD.l + x + 0.5;
        if (!started2) { g.moveTo(X, yOf(tot.lo[x])); started2 = true; } else g.lineTo(X, yOf(tot.lo[x]));
        g.lineTo(X, yOf(tot.hi[x]));
      }
      g.stroke();
      drawPeakMarks(g, w, yOf, ymax);
    }
    drawBrush(g, w, h);
    overviewCache = { cols: cols, acc: acc, tot: tot, stackTop: stackTop };
  }

  function drawPeakMarks(g, w, yOf, ymax) {
    const d = M.d, ts = d.total_sampled, up = d.total_upper;
    g.font = '11px system-ui, sans-serif'; g.textBaseline = 'bottom';
    if (up && up.proven && up.kib) { // an unproven bound is no bound: not drawn as one
      const label = 'upper bound ' + fmtKiB(up.kib);
      g.strokeStyle = css('--fg'); g.setLineDash([5, 4]); g.lineWidth = 1;
      const y = up.kib <= ymax ? yOf(up.kib) : PAD.t + 1;
      g.beginPath(); g.moveTo(PAD.l, y); g.lineTo(w - PAD.r, y); g.stroke(); g.setLineDash([]);
      g.fillStyle = css('--fg'); g.textAlign = 'right';
      g.fillText(up.kib <= ymax ? label : label + ' ↑ (above the chart)', w - PAD.r - 2, y - 2);
    }
    if (ts && ts.kind !== 'none' && ts.ms !== null && ts.ms >= S.t0 && ts.ms <= S.t1) {
      const x = xOf(ts.ms, w), y = yOf(ts.kib);
      g.fillStyle = css('--fg');
      g.beginPath(); g.moveTo(x, y - 2); g.lineTo(x - 5, y - 10); g.lineTo(x + 5, y - 10); g.closePath(); g.fill();
      g.textAlign = x > w / 2 ? 'right' : 'left';
      g.fillText('highest sampled total ' + fmtKiB(ts.kib) + ' (lower bound)', x + (x > w / 2 ? -8 : 8), y - 10);
    }
  }

  /* The range being dragged, on either chart. */
  let drag = null;
  function drawBrush(g, w, h) {
    if (!drag || drag.cv !== 'mw-overview') return;
    const x0 = Math.min(drag.x0, drag.x1), x1 = Math.max(drag.x0, drag.x1);
    g.fillStyle = css('--sel'); g.fillRect(x0, PAD.t, x1 - x0, h - PAD.t - PAD.b);
  }

  /* ---------- swimlanes ---------- */
  function laneHeight() { return M.nLanes > 200 ? Math.max(3, Math.floor(2400 / M.nLanes)) : 18; }
  function drawLanes() {
    const cv = $('mw-lanes');
    const lh = laneHeight();
    const { g, w, h } = fitCanvas(cv, Math.min(16000, PAD.t + PAD.b + M.nLanes * lh));
    g.clearRect(0, 0, w, h);
    drawTimeAxis(g, w, h);
    const scaleMax = M.maxPeak || 1;
    for (let r = 0; r < M.nLanes; r++) {
      const y0 = PAD.t + r * lh;
      for (const i of M.laneItems[r]) {
        if (M.end[i] < S.t0 || M.start[i] > S.t1) continue;
        const x0 = Math.max(PAD.l, xOf(M.start[i], w)), x1 = Math.min(w - PAD.r, Math.max(xOf(M.end[i], w), x0 + 1));
        const col = PALETTE[Math.min(M.slot(M.group[i]), 7)];
        g.globalAlpha = 0.25; g.fillStyle = col; g.fillRect(x0, y0 + 1, x1 - x0, lh - 2); g.globalAlpha = 1;
        drawLaneSeries(g, w, i, y0, lh, scaleMax, col);
        if (i === S.sel) { g.strokeStyle = css('--accent'); g.lineWidth = 2; g.strokeRect(x0, y0 + 1, x1 - x0, lh - 2); }
        drawPeakMark(g, w, i, y0, lh, scaleMax);
      }
    }
    if (drag && drag.cv === 'mw-lanes') {
      g.fillStyle = css('--sel');
      g.fillRect(Math.min(drag.x0, drag.x1), 0, Math.abs(drag.x1 - drag.x0), h);
    }
    g.fillStyle = css('--muted'); g.textAlign = 'right'; g.textBaseline = 'middle'; g.font = '11px system-ui, sans-serif';
    g.fillText(M.nLanes + ' slot' + (M.nLanes === 1 ? '' : 's'), PAD.l - 4, PAD.t + 6);
  }
  function drawLaneSeries(g, w, i, y0, lh, scaleMax, col) {
    const n = M.sN[i];
    if (!n) return;
    const off = M.sOff[i], bw = M.sBucket[i], t0 = M.sT0[i];
    g.fillStyle = col;
    let lastX = -1, lastV = 0;
    for (let k = 0; k < n; k++) {
      const v = M.sV[off + k];
      if (!v) continue;
      const b0 = Math.max(t0 + k * bw, M.start[i]), b1 = Math.min(t0 + (k + 1) * bw, Math.max(M.end[i], b0 + 1));
      if (b1 < S.t0 || b0 > S.t1) continue;
      const x0 = Math.floor(Math.max(PAD.l, xOf(b0, w))), x1 = Math.max(x0 + 1, Math.ceil(Math.min(w - PAD.r, xOf(b1, w))));
      if (x0 === lastX && v <= lastV) continue; // the column already shows a higher bucket
      const hh = Math.max(1, v / scaleMax * (lh - 2));
      g.fillRect(x0, y0 + lh - 1 - hh, x1 - x0, hh);
      lastX = x1 - 1; lastV = v;
    }
  }
  /* The peak's mark: filled for exact, hollow for sampled, a bar for bound; at its instant when known. */
  function drawPeakMark(g, w, i, y0, lh, scaleMax) {
    const at = M.peakMs[i] >= 0 ? M.peakMs[i] : M.end[i];
    if (at < S.t0 || at > S.t1 || lh < 8) return;
    const x = xOf(at, w), y = y0 + lh - 1 - Math.max(1, Math.min(1, M.peak[i] / scaleMax) * (lh - 2));
    g.strokeStyle = css('--fg'); g.fillStyle = css('--fg'); g.lineWidth = 1;
    g.beginPath(); g.moveTo(x, y); g.lineTo(x - 3, y - 4); g.lineTo(x + 3, y - 4); g.closePath();
    if (M.kind[i] === 'exact') g.fill();
    else if (M.kind[i] === 'sampled') g.stroke();
    else { g.beginPath(); g.moveTo(x - 3, y - 2); g.lineTo(x + 3, y - 2); g.stroke(); }
  }
  function laneHit(x, y) {
    const cv = $('mw-lanes'), w = cv.clientWidth, lh = laneHeight();
    const r = Math.floor((y - PAD.t) / lh);
    if (r < 0 || r >= M.nLanes) return -1;
    const t = tOf(x, w), slack = (S.t1 - S.t0) / (w - PAD.l - PAD.r) * 2;
    for (const i of M.laneItems[r]) if (M.start[i] - slack <= t && t <= M.end[i] + slack) return i;
    return -1;
  }

  /* ---------- tooltips ---------- */
  function showTip(ev, lines) {
    const tip = $('mw-tip');
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  }
  function hideTip() { $('mw-tip').hidden = true; }
  function processLines(i) {
    const lines = ['pid ' + M.pid[i] + '  (parent ' + M.ppid[i] + ')', M.cmd[i],
      'peak ' + fmtKiB(M.peak[i]) + ' — ' + KIND_TEXT[M.kind[i]] + (M.peakMs[i] >= 0 ? ' at ' + fmtMs(M.peakMs[i]) : ''),
      'alive ' + fmtMs(M.start[i]) + ' → ' + fmtMs(M.end[i]) + ' (' + fmtMs(M.end[i] - M.start[i]) + ')',
      'group ' + M.groups[M.group[i]] + ', ' + endText(i)];
    return lines;
  }
  function rssAt(i, t) {
    const n = M.sN[i];
    if (!n) return null;
    const k = Math.floor((t - M.sT0[i]) / M.sBucket[i]);
    if (k < 0 || k >= n) return null;
    return M.sV[M.sOff[i] + k] || null;
  }
  function endText(i) {
    if (M.d.schema === 'seed') return 'end unknown';
    switch (ENDS[M.endKind[i]]) {
      case 'exited': return 'exited ' + M.code[i];
      case 'signaled': return 'killed by signal ' + M.code[i];
      case 'running': return 'still running at the end';
      default: return 'gone (how it ended is unknown)';
    }
  }

  /* ---------- pointer and keys on the charts ---------- */
  function bindChart(id) {
    const cv = $(id);
    cv.addEventListener('mousedown', (ev) => {
      const r = cv.getBoundingClientRect();
      drag = { cv: id, x0: ev.clientX - r.left, x1: ev.clientX - r.left, y: ev.clientY - r.top };
    });
    cv.addEventListener('mousemove', (ev) => {
      const r = cv.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
      if (drag && drag.cv === id) {
        drag.x1 = x;
        const w = cv.clientWidth, a = tOf(Math.min(drag.x0, x), w), b = tOf(Math.max(drag.x0, x), w);
        $('mw-range').textContent = 'Selecting ' + fmtMs(Math.max(0, a)) + ' → ' + fmtMs(b) + ': ' + fmtMs(b - a);
        redraw();
        return;
      }
      hover(id, ev, x, y);
    });
    cv.addEventListener('mouseleave', hideTip);
    window.addEventListener('mouseup', (ev) => {
      if (!drag || drag.cv !== id) return;
      const d = drag; drag = null;
      const w = cv.clientWidth;
      if (Math.abs(d.x1 - d.x0) > 3) setRange(tOf(Math.min(d.x0, d.x1), w), tOf(Math.max(d.x0, d.x1), w));
      else if (id === 'mw-lanes') { const i = laneHit(d.x0, d.y); if (i >= 0) select(i, true); }
      else redraw();
      void ev;
    });
    cv.addEventListener('wheel', (ev) => {
      if (!ev.ctrlKey) return;
      ev.preventDefault();
      const r = cv.getBoundingClientRect();
      zoom(ev.deltaY > 0 ? 1.25 : 0.8, tOf(ev.clientX - r.left, cv.clientWidth));
    }, { passive: false });
  }
  function hover(id, ev, x, y) {
    if (id === 'mw-lanes') {
      const i = laneHit(x, y);
      if (i < 0) { hideTip(); return; }
      const rss = rssAt(i, tOf(x, $('mw-lanes').clientWidth));
      showTip(ev, processLines(i).concat(['RSS here ' + (rss ? fmtKiB(rss) + ' (bucket maximum)' : 'no sample')]));
      return;
    }
    if (!overviewCache) return;
    const px = Math.floor(x - PAD.l);
    if (px < 0 || px >= overviewCache.cols) { hideTip(); return; }
    const t = tOf(x, $('mw-overview').clientWidth);
    const lines = ['at ' + fmtMs(t)];
    const hi = overviewCache.tot.hi[px];
    lines.push('sampled total ' + (isNaN(hi) ? 'no sample here' : fmtKiB(hi) + ' (a lower bound here)'));
    lines.push('areas: each process\'s highest sample per bucket, summed (not a total, not a bound)');
    overviewCache.acc.forEach((a, s) => {
      lines.push((s === TOP_GROUPS ? 'other' : M.groups[s]) + ': ' + fmtKiB(a[px]) +
        (S.mode === 'percent' ? ' (' + Math.round(a[px] / (overviewCache.stackTop[px] || 1) * 100) + ' %)' : ''));
    });
    showTip(ev, lines);
  }
  function onKey(ev) {
    if (ev.target && (ev.target.tagName === 'INPUT' || ev.target.tagName === 'SELECT')) {
      if (ev.key === 'Escape') ev.target.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (k === '?') { toggleHelp(); }
    else if (k === 'Escape') {
      if (!$('mw-help').hidden) toggleHelp(false);
      else if (drag) { drag = null; redraw(); }
      else if (S.sel >= 0) select(-1, false);
    }
    else if (k === '+' || k === '=' || k === 'w' || k === 'W' || k === 'ArrowUp') zoom(0.7);
    else if (k === '-' || k === '_' || k === 's' || k === 'S' || k === 'ArrowDown') zoom(1 / 0.7);
    else if (k === 'a' || k === 'A' || k === 'ArrowLeft') pan(-0.2);
    else if (k === 'd' || k === 'D' || k === 'ArrowRight') pan(0.2);
    else if (k === '0') setRange(0, M.duration);
    else return;
    ev.preventDefault();
  }
  function toggleHelp(force) {
    const h = $('mw-help');
    h.hidden = force === undefined ? !h.hidden : !force;
    if (!h.hidden) $('mw-help-close').focus();
  }
  function jumpToPeak() {
    const ts = M.d.total_sampled;
    let at = ts && ts.ms !== null ? ts.ms : null;
    if (at === null && M.n) at = M.peakMs[0] >= 0 ? M.peakMs[0] : M.start[0];
    if (at === null) return;
    const span = Math.max(M.duration / 20, MIN_SPAN_MS * 10);
    setRange(at - span / 2, at + span / 2);
  }

  /* ---------- summary cards ---------- */
  function card(label, value, kind, note) {
    const c = el('div', 'card');
    c.appendChild(el('div', 'label', label));
    const v = el('div', 'value', value);
    if (kind) v.appendChild(kindBadge(kind));
    c.appendChild(v);
    if (note) { const n = el('div', 'note', note); n.title = note; c.appendChild(n); }
    return c;
  }
  function drawCards() {
    const d = M.d, box = $('mw-cards');
    box.textContent = '';
    const lo = d.total_lower, up = d.total_upper, ts = d.total_sampled;
    const when = ts && ts.ms !== null && ts.kind !== 'none' ? 'highest sampled total at ' + fmtMs(ts.ms) : 'no sample time';
    box.appendChild(card('Total peak at once', intervalText(totalLowerKiB(), up.kib, up.proven), null,
      'at least: ' + (lo.source === 'process' ? 'one process\'s own peak' : lo.source === 'sampled'
        ? 'the highest sampled total' : 'nothing is known') +
      '; at most: ' + (up.proven ? 'what the processes alive at once could hold' : unprovenText(up)) + '; ' + when));
    if (d.largest !== null && M.n) {
      const li = M.byPid.get(d.largest) ? M.byPid.get(d.largest)[0] : 0;
      box.appendChild(card('Largest process', (M.kind[li] === 'sampled' ? '≥ ' : '') + fmtKiB(M.peak[li]), M.kind[li],
        'pid ' + M.pid[li] + ': ' + M.cmd[li]));
    } else box.appendChild(card('Largest process', 'none'));
    box.appendChild(card('Processes', String(d.processes), null,
      d.schema === 'seed' ? 'peak kinds unknown (original tool\'s report)' : d.exact + ' with an exact peak' +
      (d.hidden ? '; ' + d.hidden + ' hidden by the filter' : '')));
    box.appendChild(card('Duration', fmtMs(d.duration_ms), null, 'started ' + d.start + (d.interval_ms ? '; sampled every ' + fmtMs(d.interval_ms) : '')));
    box.appendChild(card('Most alive at once', String(M.mostAlive), null, 'at ' + fmtMs(M.mostAliveAt) + ' (from lifetimes)'));
    box.appendChild(card('Exit code', d.exit_code === null ? 'unknown' : String(d.exit_code), null,
      d.exit_code === null ? 'not in this report' : d.exit_code === 0 ? 'the job succeeded' : 'the job failed'));
  }
  function totalLowerKiB() { const lo = M.d.total_lower; return lo.source === 'none' ? -1 : lo.kib; }
  /* Why the upper bound is not proven, in the summary's words. */
  function unprovenText(up) {
    const n = (k, one, many) => k + ' ' + (k === 1 ? one : many);
    if (up.dropped) return 'not proven: ' + n(up.dropped, 'message was', 'messages were') + ' dropped from senders memwatch could not tie to the job';
    if (up.agentless) return 'not proven: ' + n(up.agentless, 'process', 'processes') + ' ran without the agent, which could start unseen processes';
    return 'not proven: ' + n(up.unbounded, 'process lacks an exact or bound peak', 'processes lack exact or bound peaks');
  }
  function drawLegend() {
    const ul = $('mw-legend');
    ul.textContent = '';
    for (let s = 0; s < M.nSlots; s++) {
      const li = el('li');
      const sw = el('span', 'swatch'); sw.style.background = PALETTE[s === TOP_GROUPS ? 7 : s];
      li.appendChild(sw);
      li.appendChild(el('span', '', (s + 1) + '. ' + (s === TOP_GROUPS ? 'other (' + (M.groups.length - TOP_GROUPS) + ' groups)' : M.groups[s])));
      ul.appendChild(li);
    }
    const li = el('li');
    li.appendChild(el('span', '', '— black line: the sampled total (what one sample saw: the peak is at least its ' +
      'highest point, ▼); dashed: the proven upper bound (none drawn when not proven). Areas, stacked from the ' +
      'bottom 1, 2, …: each process\'s highest sample per bucket, summed by group; those maxima need not have ' +
      'coincided, so the areas may rise above the sampled total and are neither a total nor a bound.'));
    ul.appendChild(li);
  }

  /* ---------- the table: virtualised, sortable, searchable ---------- */
  const SORTS = {
    pid: (i) => M.pid[i], ppid: (i) => M.ppid[i], peak: (i) => M.peak[i], kind: (i) => M.kind[i],
    start: (i) => M.start[i], life: (i) => M.end[i] - M.start[i], group: (i) => M.groups[M.group[i]], cmd: (i) => M.cmd[i],
  };
  const COLUMNS = [['pid', 'PID', 'num'], ['ppid', 'PPID', 'num'], ['peak', 'Peak', 'num'], ['kind', 'Kind', ''],
    ['start', 'Start', 'num'], ['life', 'Lifetime', 'num'], ['group', 'RSS', ''], ['cmd', 'Command', 'cmd']];
  let rowsShown = [], lowerCmd = null;
  function buildHead() {
    const head = $('mw-thead');
    head.textContent = '';
    for (const [key, label] of COLUMNS) {
      const b = el('button', '', label + (S.sort === key ? (S.dir > 0 ? ' ▲' : ' ▼') : ''));
      b.type = 'button';
      b.dataset.key = key;
      b.setAttribute('aria-sort', S.sort === key ? (S.dir > 0 ? 'ascending' : 'descending') : 'none');
      b.title = key === 'group' ? 'sparkline of RSS; sorts by group' : 'sort by ' + label;
      b.addEventListener('click', () => sortBy(key));
      head.appendChild(b);
    }
  }
  function sortBy(key) {
    if (S.sort === key) S.dir = -S.dir; else { S.sort = key; S.dir = key === 'cmd' || key === 'group' ? 1 : -1; }
    buildHead(); filterRows(); writeHash();
  }
  function filterRows() {
    if (!lowerCmd) lowerCmd = M.cmd.map((c, i) => (c + ' ' + M.pid[i] + ' ' + M.groups[M.group[i]]).toLowerCase());
    const words = S.q.toLowerCase().split(/\s+/).filter(Boolean);
    const inc = words.filter((w) => !w.startsWith('!')), exc = words.filter((w) => w.startsWith('!') && w.length > 1).map((w) => w.slice(1));
    const full = S.t0 <= 0 && S.t1 >= M.duration;
    rowsShown = [];
    for (let i = 0; i < M.n; i++) {
      if (!full && (M.end[i] < S.t0 || M.start[i] > S.t1)) continue;
      const t = lowerCmd[i];
      if (inc.every((w) => t.includes(w)) && !exc.some((w) => t.includes(w))) rowsShown.push(i);
    }
    const f = SORTS[S.sort], dir = S.dir;
    rowsShown.sort((a, b) => { const x = f(a), y = f(b); return (x < y ? -1 : x > y ? 1 : a - b) * dir; });
    $('mw-count').textContent = rowsShown.length + ' of ' + M.n + ' processes' + (full ? '' : ' alive in the range');
    $('mw-spacer').style.height = rowsShown.length * ROW_H + 'px';
    renderRows(true);
  }
  const rowPool = [];
  function renderRows(force) {
    const body = $('mw-tbody');
    const first = Math.max(0, Math.floor(body.scrollTop / ROW_H) - 5);
    const last = Math.min(rowsShown.length, first + Math.ceil((body.clientHeight || 420) / ROW_H) + 10);
    const need = last - first;
    while (rowPool.length < need) {
      const r = el('div', 'tr');
      r.setAttribute('role', 'row');
      for (const [key, , cls] of COLUMNS) {
        const c = key === 'group' ? document.createElement('canvas') : el('span', cls);
        if (key === 'group') { c.width = 96; c.height = 18; c.style.width = '6rem'; c.style.height = '18px'; }
        r.appendChild(c);
      }
      r.addEventListener('click', () => select(Number(r.dataset.i), false));
      body.appendChild(r);
      rowPool.push(r);
    }
    for (let k = 0; k < rowPool.length; k++) {
      const r = rowPool[k];
      if (k >= need) { r.hidden = true; continue; }
      const pos = first + k, i = rowsShown[pos];
      r.hidden = false;
      r.style.top = pos * ROW_H + 'px';
      if (!force && r.dataset.i === String(i)) continue;
      r.dataset.i = i;
      r.className = 'tr' + (pos % 2 ? ' alt' : '') + (i === S.sel ? ' selected' : '');
      r.setAttribute('aria-selected', i === S.sel ? 'true' : 'false');
      const c = r.children;
      c[0].textContent = M.pid[i]; c[1].textContent = M.ppid[i]; c[2].textContent = fmtKiB(M.peak[i]);
      c[3].textContent = M.kind[i] === 'none' ? 'unknown' : M.kind[i]; c[4].textContent = fmtMs(M.start[i]);
      c[5].textContent = fmtMs(M.end[i] - M.start[i]); c[7].textContent = M.cmd[i]; c[7].title = M.cmd[i];
      sparkline(c[6], i);
    }
  }
  function sparkline(cv, i) {
    const g = cv.getContext('2d'), w = cv.width, h = cv.height;
    g.clearRect(0, 0, w, h);
    const n = M.sN[i];
    g.fillStyle = PALETTE[Math.min(M.slot(M.group[i]), 7)];
    if (!n) { g.fillRect(0, h - 2, w, 1); return; }
    const off = M.sOff[i];
    let max = 0;
    for (let k = 0; k < n; k++) max = Math.max(max, M.sV[off + k]);
    const colMax = new Float64Array(w);
    for (let k = 0; k < n; k++) { const x = Math.min(w - 1, Math.floor(k / n * w)); colMax[x] = Math.max(colMax[x], M.sV[off + k]); }
    for (let x = 0; x < w; x++) if (colMax[x]) { const hh = Math.max(1, colMax[x] / (max || 1) * (h - 2)); g.fillRect(x, h - 1 - hh, Math.max(1, Math.ceil(w / n)), hh); }
  }
  function scrollToRow(i) {
    const pos = rowsShown.indexOf(i);
    if (pos < 0) return;
    const body = $('mw-tbody');
    if (pos * ROW_H < body.scrollTop || (pos + 1) * ROW_H > body.scrollTop + body.clientHeight)
      body.scrollTop = Math.max(0, pos * ROW_H - body.clientHeight / 2);
  }
  function select(i, fromLanes) {
    S.sel = i;
    if (i >= 0 && fromLanes) scrollToRow(i);
    renderRows(true);
    drawLanes();
    writeHash();
  }

  /* ---------- the tree: collapsible, children rendered when opened ---------- */
  function treeNode(i) {
    const li = el('li');
    li.dataset.i = i;
    li.setAttribute('role', 'treeitem');
    const kids = M.children[i];
    const b = el('button', '', kids.length ? '▸' : '·');
    b.type = 'button';
    b.setAttribute('aria-label', kids.length ? 'expand pid ' + M.pid[i] : 'pid ' + M.pid[i] + ' has no children');
    if (kids.length) li.setAttribute('aria-expanded', 'false');
    li.appendChild(b);
    li.appendChild(el('span', '', M.pid[i] + '  ' + fmtKiB(M.peak[i])));
    li.appendChild(kindBadge(M.kind[i]));
    if (M.adopted[i]) li.appendChild(el('span', 'sub', '[re-parented]'));
    li.appendChild(el('span', 'cmd', M.cmd[i]));
    if (M.subCount[i] > 1) { // a leaf's subtree is itself
      const sub = el('span', 'sub', 'subtree of ' + M.subCount[i] + ' processes at once: ' + intervalText(M.subLo[i], M.subUp[i], M.subProven[i]));
      sub.dataset.lower = M.subLo[i]; sub.dataset.upper = M.subUp[i]; sub.dataset.proven = M.subProven[i];
      li.appendChild(sub);
    }
    b.addEventListener('click', () => toggleNode(li, i));
    li.querySelector('.cmd').addEventListener('click', () => { select(i, true); });
    return li;
  }
  function toggleNode(li, i, open) {
    const kids = M.children[i];
    if (!kids.length) return;
    const isOpen = li.getAttribute('aria-expanded') === 'true';
    const want = open === undefined ? !isOpen : open;
    if (want === isOpen) return;
    li.setAttribute('aria-expanded', String(want));
    li.firstChild.textContent = want ? '▾' : '▸';
    let ul = li.querySelector(':scope > ul');
    if (want && !ul) {
      ul = el('ul'); ul.setAttribute('role', 'group');
      const TREE_CHUNK = 500; // a node with thousands of children shows them in chunks
      kids.slice(0, TREE_CHUNK).forEach((c) => ul.appendChild(treeNode(c)));
      if (kids.length > TREE_CHUNK) ul.appendChild(el('li', 'sub', '… and ' + (kids.length - TREE_CHUNK) + ' more (see the table)'));
      li.appendChild(ul);
    }
    if (ul) ul.hidden = !want;
  }
  function drawTree() {
    const ul = $('mw-tree');
    ul.textContent = '';
    M.roots.slice(0, 500).forEach((i) => ul.appendChild(treeNode(i)));
    if (M.roots.length > 500) ul.appendChild(el('li', 'sub', '… and ' + (M.roots.length - 500) + ' more roots'));
    if (M.roots.length === 1) toggleNode(ul.firstChild, M.roots[0], true);
  }
  function setAllNodes(open) {
    let guard = 0;
    const walk = (ul) => {
      for (const li of ul.children) {
        if (guard++ > 5000 || !li.getAttribute('aria-expanded')) continue;
        const i = Number(li.dataset.i);
        toggleNode(li, i, open);
        const sub = li.querySelector(':scope > ul');
        if (open && sub) walk(sub);
      }
    };
    walk($('mw-tree'));
  }

  /* ---------- wiring ---------- */
  let frame = 0;
  function redraw() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => { drawOverview(); drawLanes(); });
  }
  function drawNow() { drawOverview(); drawLanes(); }
  function changed(rangeChanged) {
    const full = S.t0 <= 0 && S.t1 >= M.duration;
    $('mw-range').textContent = full ? 'Full range: ' + fmtMs(M.duration) + ' (drag to select, ? for keys)'
      : 'Range ' + fmtMs(S.t0) + ' → ' + fmtMs(S.t1) + ': ' + fmtMs(S.t1 - S.t0) + ' (0 for the full range)';
    if (rangeChanged) filterRows();
    redraw();
    writeHash();
  }
  function wire() {
    bindChart('mw-overview');
    bindChart('mw-lanes');
    document.addEventListener('keydown', onKey);
    $('mw-mode').value = S.mode;
    $('mw-mode').addEventListener('change', (e) => { S.mode = e.target.value; changed(false); });
    $('mw-peak').addEventListener('click', jumpToPeak);
    $('mw-full').addEventListener('click', () => setRange(0, M.duration));
    $('mw-help-button').addEventListener('click', () => toggleHelp());
    $('mw-help-close').addEventListener('click', () => toggleHelp(false));
    $('mw-search').value = S.q;
    $('mw-search').addEventListener('input', (e) => { S.q = e.target.value; filterRows(); writeHash(); });
    $('mw-tbody').addEventListener('scroll', () => renderRows(false), { passive: true });
    $('mw-tbody').addEventListener('keydown', (ev) => {
      if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp' && ev.key !== 'Enter') return;
      ev.stopPropagation(); ev.preventDefault();
      let pos = rowsShown.indexOf(S.sel);
      pos = ev.key === 'ArrowDown' ? Math.min(rowsShown.length - 1, pos + 1) : ev.key === 'ArrowUp' ? Math.max(0, pos - 1) : pos;
      if (pos >= 0) select(rowsShown[pos], true);
    });
    $('mw-expand').addEventListener('click', () => setAllNodes(true));
    $('mw-collapse').addEventListener('click', () => setAllNodes(false));
    window.addEventListener('resize', redraw);
    window.addEventListener('hashchange', () => { readHash(); buildHead(); filterRows(); redraw(); });
  }

  /* ---------- self-test: #selftest draws, zooms, pans, searches and sorts, then marks the DOM ---------- */
  const problems = [];
  window.addEventListener('error', (e) => problems.push('error: ' + e.message));
  window.addEventListener('unhandledrejection', (e) => problems.push('rejection: ' + e.reason));
  document.addEventListener('securitypolicyviolation', (e) => problems.push('CSP violation: ' + e.violatedDirective));
  function inked(id) {
    const cv = $(id), scratch = document.createElement('canvas');
    scratch.width = cv.width; scratch.height = cv.height;
    const g = scratch.getContext('2d', { willReadFrequently: true });
    g.drawImage(cv, 0, 0);
    const data = g.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let k = 3; k < data.length; k += 4 * 7) if (data[k]) n++;
    return n;
  }
  function runSelfTest() {
    const check = (ok, what) => { if (!ok) problems.push(what); };
    drawNow();
    check(inked('mw-overview') > 50, 'the overview drew nothing');
    if (M.n) check(inked('mw-lanes') > 10, 'the swimlanes drew nothing');
    const span = S.t1 - S.t0;
    const key = (k) => document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    key('+'); check(S.t1 - S.t0 < span * 0.8, 'zoom in did not narrow the range');
    const t0 = S.t0; key('d'); check(S.t0 > t0, 'pan right did not move the range');
    key('a'); key('-'); key('0'); check(S.t0 === 0 && Math.abs(S.t1 - M.duration) < 1e-6, '0 did not restore the full range');
    jumpToPeak(); check(S.t1 - S.t0 < M.duration, 'jump to peak did not zoom');
    key('0');
    for (const mode of ['lines', 'percent', 'stack']) { S.mode = mode; drawNow(); check(inked('mw-overview') > 50, mode + ' drew nothing'); }
    const search = $('mw-search');
    search.value = '!zzzz-no-such-word'; search.dispatchEvent(new Event('input'));
    check(rowsShown.length === M.n, '!word excluded processes it should not');
    if (M.n) {
      const word = M.groups[M.group[0]];
      search.value = word; search.dispatchEvent(new Event('input'));
      check(rowsShown.length >= 1 && rowsShown.includes(0), 'search for "' + word + '" missed the largest process');
      search.value = '!' + word; search.dispatchEvent(new Event('input'));
      check(!rowsShown.includes(0), '!' + word + ' kept the largest process');
    }
    search.value = ''; search.dispatchEvent(new Event('input'));
    sortBy('pid'); sortBy('pid');
    let sorted = true;
    for (let k = 1; k < rowsShown.length; k++) if (M.pid[rowsShown[k - 1]] > M.pid[rowsShown[k]]) sorted = false;
    check(sorted && S.dir === 1, 'sorting by pid did not order the table');
    check($('mw-tbody').querySelectorAll('.tr:not([hidden])').length <= Math.max(60, 0), 'the table is not virtualised');
    if (M.n) { select(0, true); check($('mw-tbody').querySelector('.tr.selected') !== null, 'selection not shown in the table'); }
    sortBy('peak');
    setAllNodes(true);
    document.body.dataset.treeRoot = checkTreeRoot(check);
    check(!/summed/.test($('mw-tree').textContent), 'the tree shows a sum of peaks');
    return problems;
  }
  /* The node over every process is the whole job: its interval must be the total's, figures and text. */
  function checkTreeRoot(check) {
    const d = M.d, root = M.roots.find((i) => M.subCount[i] === d.processes);
    if (root === undefined) return 'none';
    if (d.processes === 1) return 'leaf';
    const li = $('mw-tree').querySelector(':scope > li[data-i="' + root + '"]');
    const sub = li && li.querySelector(':scope > .sub[data-lower]');
    if (!sub) { check(false, 'the tree\'s root shows no interval'); return 'missing'; }
    const up = d.total_upper, text = intervalText(totalLowerKiB(), up.kib, up.proven);
    const same = Number(sub.dataset.lower) === totalLowerKiB() && Number(sub.dataset.proven) === (up.proven ? 1 : 0) &&
      Number(sub.dataset.upper) === up.kib && sub.textContent.endsWith(text);
    check(same, 'the tree\'s root shows "' + sub.textContent + '" (KiB: ' + sub.dataset.lower + ' .. ' +
      sub.dataset.upper + ', proven ' + sub.dataset.proven + '), the total is ' + text + ' (KiB: ' + totalLowerKiB() +
      ' .. ' + up.kib + ', proven ' + up.proven + ')');
    return same ? 'match' : 'differs';
  }

  async function main() {
    let d;
    try { d = await loadData(); } catch (e) {
      $('mw-status').textContent = 'The report data could not be read: ' + e.message;
      $('mw-status').className = 'status error';
      document.body.dataset.selftest = 'fail';
      return;
    }
    M = buildModel(d);
    readHash();
    document.title = 'memwatch: ' + d.command;
    $('mw-command').textContent = d.command || '(no command: memwatch listen)';
    $('mw-subtitle').textContent = (d.schema === 'seed' ? 'A report in the original tool\'s schema: peak kinds, ends and series are unknown. '
      : 'memwatch ' + d.version + (d.host ? ' on ' + d.host : '') + '. ') +
      (M.tlReduced > 1 ? 'The timeline was reduced ' + M.tlReduced + '× (each point the highest of its run). ' : '') +
      (d.agent ? '' : 'No agent: peaks are sampled (lower bounds). ');
    drawCards(); drawLegend(); buildHead(); wire(); drawTree();
    changed(true);
    drawNow();
    const firstFrame = performance.now(); // since navigation began: parsing, inflating, the first draw
    document.body.dataset.firstFrameMs = firstFrame.toFixed(1);
    $('mw-status').textContent = M.n + ' processes, ' + M.tlT.length + ' samples; drawn in ' + firstFrame.toFixed(0) + ' ms.';
    if (selftest) {
      const result = runSelfTest();
      document.body.dataset.selftest = result.length ? 'fail' : 'pass';
      const p = el('p', 'status' + (result.length ? ' error' : ''), 'self-test: ' + (result.length ? 'FAIL: ' + result.join('; ') : 'pass'));
      p.id = 'mw-selftest';
      document.querySelector('header').appendChild(p);
      if (result.length) console.error('memwatch self-test failed: ' + result.join('; '));
    }
  }
  main();
})();
