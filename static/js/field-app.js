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
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
})();
