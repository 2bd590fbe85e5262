/* The reader's tools on every page of the book, on both render paths (this renderer's template
   and real Quarto's pages, where arena/render/quarto_post.py adds this file): figure panels as
   tabs, where each number in the text comes from, previews of figure references, and a language
   switch that keeps the section. Only the book's own markup is needed, no page layout. */
/* Figure panels: Chart | Table | Sources | Download as tabs around each chart (WAI-ARIA tabs:
   arrow keys move between them). Without JavaScript the panels simply follow the chart. */
(function () {
  document.querySelectorAll('.arena-panels').forEach(function (box, n) {
    var chart = document.getElementById(box.getAttribute('data-chart'));
    if (!chart) return;
    var labels = JSON.parse(box.getAttribute('data-labels'));
    /* The chart keeps its own role (an image named by its alt text): a wrapper is the tab panel. */
    var wrap = document.createElement('div');
    wrap.className = 'arena-chart-panel';
    chart.parentNode.insertBefore(wrap, chart); wrap.appendChild(chart);
    var panels = [['chart', wrap]];
    box.querySelectorAll('[data-arena-panel]').forEach(function (s) { panels.push([s.getAttribute('data-arena-panel'), s]); });
    var list = document.createElement('div');
    list.className = 'arena-tabs'; list.setAttribute('role', 'tablist');
    list.setAttribute('aria-label', labels.chart);
    var tabs = panels.map(function (p, i) {
      var id = box.getAttribute('data-chart') + '-tab-' + p[0];
      var t = document.createElement('button');
      t.type = 'button'; t.id = id; t.setAttribute('role', 'tab'); t.textContent = labels[p[0]];
      t.setAttribute('aria-controls', p[1].id || (p[1].id = id + '-panel'));
      p[1].setAttribute('role', 'tabpanel'); p[1].setAttribute('aria-labelledby', id);
      if (p[0] !== 'chart') { p[1].tabIndex = 0; var h = p[1].querySelector('.arena-panel-heading'); if (h) h.hidden = true; }
      t.addEventListener('click', function () { select(i, false); });
      t.addEventListener('keydown', function (e) {
        var k = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: panels.length - 1}[e.key];
        if (k === undefined) return;
        e.preventDefault(); select((k + panels.length) % panels.length, true);
      });
      list.appendChild(t);
      return t;
    });
    function select(i, focus) {
      tabs.forEach(function (t, j) {
        t.setAttribute('aria-selected', String(i === j)); t.tabIndex = i === j ? 0 : -1;
        panels[j][1].hidden = i !== j;
        if (j === 0) panels[j][1].style.display = i === j ? '' : 'none';   // the chart keeps its own layout
      });
      if (focus) tabs[i].focus();
      if (i === 0) window.dispatchEvent(new Event('resize'));   // a chart drawn while hidden is redrawn
    }
    wrap.parentNode.insertBefore(list, wrap);
    select(0, false);
  });
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('.arena-png');
    if (!b) return;
    var el = document.getElementById(b.getAttribute('data-chart'));
    var svg = el && el.querySelector('svg');
    if (!svg) return;
    /* PNG made in the browser from the drawn chart (the build does not pay for it). */
    var img = new Image(), data = new XMLSerializer().serializeToString(svg);
    img.onload = function () {
      var c = document.createElement('canvas'); c.width = img.width * 2; c.height = img.height * 2;
      var g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
      g.drawImage(img, 0, 0, c.width, c.height);
      var a = document.createElement('a'); a.href = c.toDataURL('image/png'); a.download = b.getAttribute('data-name'); a.click();
    };
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(data);
  });
})();

/* Numbers in the text: each opens, on click, tap or Enter, where it comes from (its value, count
   and base, who was asked, its status, what the source prints and where), with links to its
   figure and the reconciliation. The data is on the page (#arena-claims): it works offline. */
(function () {
  var blob = document.getElementById('arena-claims');
  if (!blob) return;
  var data = JSON.parse(blob.textContent), w = data.words, open = null;
  function close(back) {
    if (!open) return;
    open.box.remove(); open.el.setAttribute('aria-expanded', 'false');
    if (back) open.el.focus();
    open = null;
  }
  function show(el) {
    var c = data.claims[el.getAttribute('data-claim')];
    if (!c) return;
    close(false);
    var box = document.createElement('div');
    box.className = 'arena-claim-popover'; box.setAttribute('role', 'dialog');
    box.id = 'arena-claim-popover'; box.setAttribute('aria-label', w.title); box.tabIndex = -1;
    var h = document.createElement('p'); h.className = 'arena-claim-title'; h.textContent = w.title; box.appendChild(h);
    var dl = document.createElement('dl');
    c.rows.forEach(function (r) {
      var dt = document.createElement('dt'); dt.textContent = r[0];
      var dd = document.createElement('dd'); dd.textContent = r[1];
      dl.appendChild(dt); dl.appendChild(dd);
    });
    box.appendChild(dl);
    var links = document.createElement('p'); links.className = 'arena-claim-links';
    [[c.figure && c.figure.href, c.figure && c.figure.label], [c.reconciliation, w.reconciliation]].forEach(function (l) {
      if (!l[0]) return;
      var a = document.createElement('a'); a.href = l[0]; a.textContent = l[1]; links.appendChild(a);
    });
    box.appendChild(links);
    var b = document.createElement('button'); b.type = 'button'; b.className = 'arena-claim-close';
    b.textContent = w.close; b.addEventListener('click', function () { close(true); }); box.appendChild(b);
    el.insertAdjacentElement('afterend', box);
    el.setAttribute('aria-expanded', 'true'); el.setAttribute('aria-controls', box.id);
    open = {el: el, box: box};
    box.focus();
  }
  document.querySelectorAll('.arena-num[data-claim]').forEach(function (el) {
    if (!data.claims[el.getAttribute('data-claim')]) return;
    el.tabIndex = 0; el.setAttribute('role', 'button'); el.setAttribute('aria-haspopup', 'dialog');
    el.setAttribute('aria-expanded', 'false');
    el.addEventListener('click', function () { open && open.el === el ? close(true) : show(el); });
    el.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); show(el); }
    });
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(true); });
  document.addEventListener('click', function (e) {
    if (open && !open.box.contains(e.target) && e.target !== open.el) close(false);
  });
})();

/* Cross-references to figures preview their number and title on hover or keyboard focus (a
   tooltip the link is described by; Escape hides it, the pointer may move onto it). The captions
   are on the page (#arena-xref-previews): no request. */
(function () {
  var blob = document.getElementById('arena-xref-previews');
  if (!blob) return;
  var caps = JSON.parse(blob.textContent), tip = null, owner = null, timer = null;
  function hide() {
    clearTimeout(timer);
    if (tip) { tip.remove(); owner.removeAttribute('aria-describedby'); }
    tip = owner = null;
  }
  function later() { clearTimeout(timer); timer = setTimeout(hide, 200); }
  function show(a, text) {
    hide();
    tip = document.createElement('div');
    tip.className = 'arena-xref-preview'; tip.id = 'arena-xref-preview'; tip.setAttribute('role', 'tooltip');
    tip.textContent = text;
    tip.addEventListener('mouseenter', function () { clearTimeout(timer); });
    tip.addEventListener('mouseleave', later);
    document.body.appendChild(tip);
    var r = a.getBoundingClientRect(), w = document.documentElement.clientWidth;
    var left = Math.max(8, Math.min(r.left, w - tip.offsetWidth - 8));
    tip.style.left = (left + window.scrollX) + 'px';
    tip.style.top = (r.bottom + window.scrollY + 6) + 'px';
    owner = a; a.setAttribute('aria-describedby', tip.id);
  }
  document.querySelectorAll('a.quarto-xref').forEach(function (a) {
    var id = decodeURIComponent((a.getAttribute('href') || '').split('#')[1] || '');
    if (!caps[id]) return;
    a.addEventListener('mouseenter', function () { show(a, caps[id]); });
    a.addEventListener('focus', function () { show(a, caps[id]); });
    a.addEventListener('mouseleave', later);
    a.addEventListener('blur', hide);
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') hide(); });
})();
/* The language switch keeps the section being read (section, figure and table ids are the same
   in both languages: sec-…, fig-…, tbl-…): a jump target still on screen, else the last section
   whose heading has passed the line under the page's top bar. Any page template: the switch is
   an <a data-arena-switch>, the bar .topbar (this site's) or #quarto-header (Quarto's). */
(function () {
  var switches = document.querySelectorAll('a[data-arena-switch]');
  if (!switches.length) return;
  function shared(el) {   /* the nearest id both languages have */
    for (; el && el !== document.body; el = el.parentElement) {
      if (/^(sec|fig|tbl)-/.test(el.id || '')) return el.id;
    }
    return '';
  }
  function reading() {
    var bar = document.querySelector('.topbar, #quarto-header');
    var edge = (bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0) + 24, now = null;
    document.querySelectorAll('section[id^="sec-"]').forEach(function (s) {
      if (s.getBoundingClientRect().top <= edge) now = s;
    });
    return now;
  }
  Array.prototype.forEach.call(switches, function (a) {
    a.addEventListener('click', function () {
      var hash = location.hash ? decodeURIComponent(location.hash.slice(1)) : '';
      var target = hash ? document.getElementById(hash) : null, id = '';
      if (target) {
        var r = target.getBoundingClientRect();
        if (r.bottom > 0 && r.top < window.innerHeight) id = shared(target);
      }
      id = id || shared(reading());
      a.href = a.getAttribute('href').split('#')[0] + (id ? '#' + encodeURIComponent(id) : '');
    });
  });
})();
