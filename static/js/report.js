// Resident form: resize photos in the browser (≤1600 px) before upload, "use my location",
// and remember the phone's own reports. Without JavaScript the form still works.
(function () {
  var KEY = 'gridgov.reports';
  function mine() { try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { return []; } }

  var receipt = document.querySelector('.receipt[data-code]');
  if (receipt) {
    var list = mine().filter(function (r) { return r.code !== receipt.dataset.code; });
    list.unshift({ code: receipt.dataset.code, title: receipt.dataset.title, at: new Date().toISOString() });
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, 20))); } catch (e) {}
    return;
  }
  var form = document.getElementById('report');
  if (!form) return;

  var reports = mine(), box = document.getElementById('mine');
  if (reports.length && box) {
    box.hidden = false;
    reports.forEach(function (r) {
      var li = document.createElement('li'), a = document.createElement('a');
      a.href = '/t/' + encodeURIComponent(r.code); a.textContent = (r.title || '') + ' ' + r.code;
      li.appendChild(a); box.querySelector('ul').appendChild(li);
    });
  }

  document.getElementById('locate').addEventListener('click', function () {
    var text = document.getElementById('loc-text');
    if (!navigator.geolocation) { text.textContent = '此手机不支持定位'; return; }
    text.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition(function (p) {
      form.lat.value = p.coords.latitude.toFixed(6);
      form.lon.value = p.coords.longitude.toFixed(6);
      form.own_location.value = '1';
      text.textContent = '已使用您的位置';
    }, function () { text.textContent = '定位失败，将使用二维码所在位置'; }, { timeout: 10000 });
  });

  var shrink = window.gridgovShrink;  // static/js/shrink.js

  form.addEventListener('submit', function (event) {
    var input = form.querySelector('input[type=file]');
    if (!input.files.length || !window.fetch || !window.FormData) return;
    event.preventDefault();
    var button = form.querySelector('button[type=submit]');
    button.disabled = true; button.textContent = '正在提交…';
    var files = Array.prototype.slice.call(input.files, 0, 3);
    Promise.all(files.map(shrink)).then(function (small) {
      var data = new FormData(form);
      data.delete('photos');
      small.forEach(function (f) { data.append('photos', f, f.name); });
      return fetch(form.action || location.href, { method: 'POST', body: data, credentials: 'same-origin' });
    }).then(function (response) {
      if (response.redirected) { location.href = response.url; return; }
      return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () {
      button.disabled = false; button.textContent = '提交';
      alert('网络不稳定，请重试');
    });
  });
})();
