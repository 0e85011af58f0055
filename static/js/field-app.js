// Every field page (templates/field/base.html): install the service worker, so the app
// opens with no signal; and say so when the page shown is an older copy, with its time.
(function () {
  var body = document.body, banner = document.getElementById('offline');
  if ('serviceWorker' in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: '/' }).catch(function () {});
  }
  // a page older than five minutes at load came from the phone's copy (the clocks of phone
  // and server may differ by a little)
  var rendered = new Date(body.dataset.rendered), stale = Date.now() - rendered.getTime() > 300000;
  function show() {
    if (!banner) return;
    if (navigator.onLine && !stale) { banner.hidden = true; return; }
    banner.textContent = banner.dataset.text.replace('{time}', banner.dataset.time);  // the towns' time
    banner.hidden = false;
  }
  // the cases listed (the worker's queue) are kept on the phone for work with no signal, and
  // the app's pages a logout cleared are fetched again
  var cases = Array.prototype.map.call(document.querySelectorAll('.field-cases a'), function (a) { return a.href; });
  if (navigator.onLine && !stale && 'serviceWorker' in navigator) {
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ warm: cases });
    });
  }
  // logging out leaves no page of this worker's on the phone (the app's files stay)
  var logout = document.getElementById('logout');
  if (logout && window.caches) {
    logout.addEventListener('submit', function (event) {
      event.preventDefault();
      caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (key) { return key.indexOf('gridgov-field-') === 0; })
          .map(function (key) {
            return caches.open(key).then(function (cache) {
              return cache.keys().then(function (requests) {
                return Promise.all(requests.filter(function (request) {
                  return new URL(request.url).pathname.indexOf('/static/') !== 0;
                }).map(function (request) { return cache.delete(request); }));
              });
            });
          }));
      }).catch(function () {}).then(function () { logout.submit(); });
    });
  }
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
})();
