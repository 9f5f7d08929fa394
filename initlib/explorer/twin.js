(function () {
  "use strict";
  // The kernel-free twin of the initialization explorer. All numbers were computed in
  // Python when the page was built; this script only unpacks and draws them. No network.
  var root = document.currentScript ? document.currentScript.parentNode : null;
  if (!root || !root.querySelector(".initx-data")) root = document.querySelector(".initx-twin");
  var D = null;
  var $ = function (name) { return root.querySelector("[data-initx='" + name + "']"); };
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  function bytes(s) {  // base64 -> array of 0..255 (no atob: works the same everywhere)
    var out = [], buf = 0, bits = 0;
    for (var i = 0; i < s.length; i++) {
      var v = B64.indexOf(s.charAt(i));
      if (v < 0) continue;  // padding
      buf = (buf << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out.push((buf >> bits) & 255); }
    }
    return out;
  }

  function canvas(name) {  // a crisp canvas on high-density screens
    var c = $(name), dpr = window.devicePixelRatio || 1;
    var w = +c.getAttribute("width"), h = +c.getAttribute("height");
    if (!c.initxSized) {
      c.style.width = w + "px"; c.style.height = h + "px";
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      c.initxSized = true;
    }
    var g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = "11px sans-serif";
    return { g: g, w: w, h: h };
  }

  function ok(v) { return typeof v === "number" && isFinite(v); }  // JSON null = nan/inf

  function esc(text) {  // text shown through innerHTML
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function fmt(v) {
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
    return String(+v.toPrecision(2));
  }

  function ticks(lo, hi, n) {  // "nice" linear ticks
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) out.push(+t.toPrecision(12));
    return out;
  }

  // Axes in box {x, y, w, h}; returns the data -> pixel maps.
  function axes(P, box, xr, yr, opt) {
    var g = P.g, logy = !!opt.logy;
    var ty = function (v) { return logy ? Math.log10(v) : v; };
    var y0 = ty(yr[0]), y1 = ty(yr[1]);
    var sx = function (v) { return box.x + (v - xr[0]) / (xr[1] - xr[0]) * box.w; };
    var sy = function (v) { return box.y + box.h - (ty(v) - y0) / (y1 - y0) * box.h; };
    g.strokeStyle = "#444"; g.lineWidth = 1; g.fillStyle = "#333";
    g.strokeRect(box.x, box.y, box.w, box.h);
    g.textAlign = "center"; g.textBaseline = "top";
    ticks(xr[0], xr[1], opt.nx || 5).forEach(function (t) {
      g.beginPath(); g.moveTo(sx(t), box.y + box.h); g.lineTo(sx(t), box.y + box.h + 3); g.stroke();
      g.fillText(fmt(t), sx(t), box.y + box.h + 4);
    });
    g.textAlign = "right"; g.textBaseline = "middle";
    var yt = logy ? ticks(Math.ceil(y0), Math.floor(y1), 4).filter(function (t) { return t === Math.round(t); })
                      .map(function (t) { return Math.pow(10, t); })
                  : ticks(yr[0], yr[1], 4);
    yt.forEach(function (t) {
      g.beginPath(); g.moveTo(box.x - 3, sy(t)); g.lineTo(box.x, sy(t)); g.stroke();
      g.fillText(fmt(t), box.x - 4, sy(t));
    });
    g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText(opt.xlabel, box.x + box.w / 2, P.h - 1);
    g.save(); g.translate(11, box.y + box.h / 2); g.rotate(-Math.PI / 2);
    g.textBaseline = "middle"; g.fillText(opt.ylabel, 0, 0); g.restore();
    g.font = "bold 12px sans-serif"; g.textBaseline = "bottom";
    g.fillText(opt.title, box.x + box.w / 2, box.y - 4);
    g.font = "11px sans-serif";
    return { sx: sx, sy: sy };
  }

  function polyline(g, xs, ys, color, width, dash) {
    g.strokeStyle = color; g.lineWidth = width; g.setLineDash(dash || []);
    g.beginPath();
    var pen = false;
    for (var i = 0; i < xs.length; i++) {
      if (!ok(ys[i])) { pen = false; continue; }
      if (pen) g.lineTo(xs[i], ys[i]); else g.moveTo(xs[i], ys[i]);
      pen = true;
    }
    g.stroke(); g.setLineDash([]);
  }

  function cross(g, x, y, color) {
    g.strokeStyle = color; g.lineWidth = 2.5; g.beginPath();
    g.moveTo(x - 5, y - 5); g.lineTo(x + 5, y + 5); g.moveTo(x + 5, y - 5); g.lineTo(x - 5, y + 5);
    g.stroke();
  }

  function shade(hex, t) {  // mix a colour with white: t = 1 the colour, 0 white
    var n = parseInt(hex.slice(1), 16), c = [n >> 16, (n >> 8) & 255, n & 255];
    return "rgb(" + c.map(function (v) { return Math.round(255 - t * (255 - v)); }).join(",") + ")";
  }

  function key(init, act, depth) { return init + "|" + act + "|" + depth; }

  function drawLoss(sel, k) {
    var P = canvas("c-loss"), run = D.runs[key(sel.init, sel.act, sel.depth)];
    var E = D.n_epochs, lo = 0.1, hi = 1;  // at least one decade; more if the run needs it
    run.loss.concat(run.val_loss).forEach(function (v) {
      if (ok(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    });
    lo = Math.pow(10, Math.floor(Math.log10(lo))); hi = Math.pow(10, Math.ceil(Math.log10(hi)));
    var A = axes(P, { x: 46, y: 20, w: P.w - 56, h: P.h - 56 }, [0, E], [lo, hi],
                 { logy: true, xlabel: "epoch", ylabel: "cost J", title: "Cost during training" });
    var g = P.g, ep = [];
    for (var e = 0; e <= E; e++) ep.push(A.sx(e));
    var clip = function (v) { return ok(v) && v > 0 ? A.sy(v) : NaN; };  // drawn clipped to the axes
    g.save(); g.beginPath(); g.rect(46, 20, P.w - 56, P.h - 56); g.clip();
    D.inits.forEach(function (init) {  // the other initializers, faint, for comparison
      if (init === sel.init) return;
      polyline(g, ep, D.runs[key(init, sel.act, sel.depth)].loss.map(clip), shade(D.colors[init], 0.35), 1);
    });
    var col = D.colors[sel.init];
    polyline(g, ep, run.loss.map(clip), col, 2.2);
    if (run.loss.filter(ok).length === 1) {  // a run that diverged at once: show its one point
      g.fillStyle = col; g.beginPath(); g.arc(ep[0], clip(run.loss[0]), 3.5, 0, 2 * Math.PI); g.fill();
    }
    polyline(g, ep, run.val_loss.map(clip), col, 1.5, [5, 3]);
    g.restore();
    if (run.diverged_at !== null) {
      var last = run.diverged_at - 1;
      while (last > 0 && !ok(run.loss[last])) last--;
      cross(g, A.sx(run.diverged_at), clip(run.loss[last]), col);
    }
    g.strokeStyle = "#888"; g.setLineDash([2, 3]); g.beginPath();
    g.moveTo(A.sx(k), 20); g.lineTo(A.sx(k), P.h - 36); g.stroke(); g.setLineDash([]);
    g.textAlign = "right"; g.textBaseline = "top"; g.fillStyle = "#333";
    g.fillText("— training   - - validation", P.w - 14, 24);
  }

  function drawBoundary(snap) {
    var P = canvas("c-boundary"), g = P.g, n = D.grid, ex = D.extent;
    var A = axes(P, { x: 40, y: 20, w: P.w - 50, h: P.h - 56 }, [ex[0], ex[1]], [ex[2], ex[3]],
                 { xlabel: "x₁", ylabel: "x₂", title: "Decision boundary", nx: 4 });
    var img = document.createElement("canvas");
    img.width = n; img.height = n;
    var ig = img.getContext("2d"), data = ig.createImageData(n, n), q = bytes(snap.b);
    var c0 = [0, 114, 178], c1 = [213, 94, 0];  // class colours, Okabe-Ito blue / vermillion
    for (var i = 0; i < n * n; i++) {
      var p = ((q[i >> 1] >> (i % 2 ? 0 : 4)) & 15) / 15;
      for (var ch = 0; ch < 3; ch++) {
        var v = c0[ch] + p * (c1[ch] - c0[ch]);
        data.data[4 * i + ch] = Math.round(255 - 0.45 * (255 - v));
      }
      data.data[4 * i + 3] = 255;
    }
    ig.putImageData(data, 0, 0);
    g.imageSmoothingEnabled = true;
    g.drawImage(img, 40, 20, P.w - 50, P.h - 56);
    g.strokeStyle = "#444"; g.strokeRect(40, 20, P.w - 50, P.h - 56);
    var pts = D.points;
    for (var j = 0; j < pts.c.length; j++) {
      g.beginPath(); g.arc(A.sx(pts.x[j]), A.sy(pts.y[j]), 2.6, 0, 2 * Math.PI);
      g.fillStyle = pts.c[j] ? "#D55E00" : "#0072B2"; g.fill();
      g.strokeStyle = "#fff"; g.lineWidth = 0.6; g.stroke();
    }
  }

  function drawHist(name, hist, color, xlabel, title) {
    var P = canvas(name), g = P.g, q = bytes(hist.q), L = hist.layers, nb = D.bins;
    var A = axes(P, { x: 46, y: 20, w: P.w - 56, h: P.h - 56 }, hist.range, [0, hist.max * 1.05],
                 { xlabel: xlabel, ylabel: "density", title: title });
    var step = (hist.range[1] - hist.range[0]) / nb;
    for (var l = 0; l < L; l++) {
      var xs = [], ys = [];
      for (var b = 0; b < nb; b++) {
        xs.push(A.sx(hist.range[0] + (b + 0.5) * step));
        ys.push(A.sy(q[l * nb + b] / 255 * hist.max));
      }
      polyline(g, xs, ys, shade(color, L === 1 ? 1 : 0.3 + 0.7 * l / (L - 1)), 1.6);
    }
    g.textAlign = "right"; g.textBaseline = "top";
    for (l = 0; l < L; l++) {
      g.fillStyle = shade(color, L === 1 ? 1 : 0.3 + 0.7 * l / (L - 1));
      g.fillText("layer " + (l + 1), P.w - 14, 24 + 12 * l);
    }
  }

  function drawTable(sel, snap) {
    var head = "<tr><th>layer l</th><th>std of W</th><th>mean of a</th><th>std of a</th><th>" +
               esc(D.fraction_labels[sel.act] || "saturated or dead") + "</th><th>std of ∂ℒ/∂z</th></tr>";
    var rows = snap.t.map(function (r, i) {  // r: mean of a, std of a, fraction, std of ∂ℒ/∂z, std of W
      return "<tr><td>" + (i + 1) + "</td><td>" + fmt(r[4]) + "</td><td>" + fmt(r[0]) + "</td><td>" +
             fmt(r[1]) + "</td><td>" +
             (ok(r[2]) ? Math.round(100 * r[2]) + "%" : "—") + "</td><td>" + fmt(r[3]) + "</td></tr>";
    });
    $("table").innerHTML = head + rows.join("");
  }

  function update() {
    var sel = { init: $("init").value, act: $("act").value, depth: $("depth").value };
    var k = +$("epoch").value, run = D.runs[key(sel.init, sel.act, sel.depth)];
    var snap = D.snapshots[run.snaps[k]], epoch = D.epochs[k];
    $("epoch-label").textContent = String(epoch);
    drawLoss(sel, epoch);
    drawBoundary(snap);
    drawHist("c-act", snap.act, D.colors[sel.init], "activation a", "Activations per layer");
    drawHist("c-grad", snap.grad, D.colors[sel.init], "per-example ∂ℒ/∂z", "Back-propagated gradients");
    drawTable(sel, snap);
    var div = run.diverged_at !== null && epoch >= run.diverged_at;
    $("caption").textContent = sel.init + " + " + sel.act + ", " + sel.depth + " hidden layers of " +
      D.width + " units, epoch " + epoch + ": " +
      (div ? "diverged at epoch " + run.diverged_at + " (the views show the last finite state)"
           : "training cost " + fmt(run.loss[epoch]) + ", validation accuracy " +
             Math.round(100 * run.val_acc[epoch]) + "%");
    root.setAttribute("data-initx-shown", key(sel.init, sel.act, sel.depth) + "|" + epoch);
  }

  function start(data) {
    D = data;
    ["init", "act", "depth", "epoch"].forEach(function (name) {
      $(name).addEventListener("input", update);
      $(name).addEventListener("change", update);
    });
    $("status").textContent = "";
    update();
  }

  // The numbers travel deflate-compressed and base64-encoded (about 4x smaller).
  try {
    var packed = new Uint8Array(bytes(root.querySelector(".initx-data").textContent));
    var stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
    new Response(stream).text().then(function (text) { start(JSON.parse(text)); })
      .catch(function (err) { $("status").textContent = "Could not unpack the figures: " + err; });
  } catch (err) {
    $("status").textContent = "This browser cannot unpack the figures (it needs " +
      "DecompressionStream, in every browser since 2023): " + err;
  }
})();
