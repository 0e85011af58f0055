// The field app's service worker (served as /field/sw.js, scope / so that a QR point scanned
// with no signal can be answered; it touches only /field/ pages, case pages, /q/ scans, photo
// thumbnails and /static/): the app shell, the cases of the worker's queue and the pages last seen are kept, so the app opens with no signal and shows what it last knew
// (the page says how old). Pages: the network first, the last copy when there is none.
// Static files: the copy at hand at once, refreshed behind it.
var VERSION = 'gridgov-field-__VERSION__';
var SHELL = ['/field/', '/field/report', '/field/checkins', '/field/map', '/field/checkin-offline', '/field/snow', '/field/care',
  '/static/js/field-queue.js',
  '/static/css/app.css', '/static/icon.svg', '/static/js/field-app.js', '/static/js/field.js',
  '/static/js/pickers.js', '/static/js/gridmap.js', '/static/js/photos.js', '/static/js/shrink.js',
  '/static/js/checkin.js', '/static/js/fieldmap.js', '/static/js/care-visit.js', '/static/vendor/leaflet/leaflet.js',
  '/static/vendor/leaflet/leaflet.css', '/static/vendor/leaflet/images/marker-icon.png',
  '/static/vendor/leaflet/images/marker-icon-2x.png', '/static/vendor/leaflet/images/marker-shadow.png'];

// the shell's files not at hand yet (all at install; the pages again after a logout cleared
// them): one missing file must not keep the rest out, so each is cached on its own
function fill() {
  return caches.open(VERSION).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      return cache.match(url).then(function (hit) {
        if (hit) return null;
        return fetch(url, { credentials: 'same-origin' }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(url, response);
        });
      }).catch(function () {});
    }));
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(fill().then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key.indexOf('gridgov-field-') === 0 && key !== VERSION; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

// the pages kept: the app's own and the cases a worker opens (核实 and 核查 work offline too)
var CASE = /^\/events\/\d+$/, THUMB = /^\/attachments\/\d+\/thumb$/, WARM_MAX = 40;
function kept(path) { return path.indexOf('/field/') === 0 || CASE.test(path); }

// the field home names the cases of its queue: each is fetched and kept, with its photos'
// thumbnails, so one never opened yet still opens with no signal
function warm(urls) {
  return caches.open(VERSION).then(function (cache) {
    return Promise.all(urls.slice(0, WARM_MAX).map(function (href) {
      var url = new URL(href, self.location.origin);
      if (url.origin !== self.location.origin || !CASE.test(url.pathname)) return null;
      return fetch(url.pathname, { credentials: 'same-origin' }).then(function (response) {
        if (!response.ok || response.redirected) return null;
        return response.clone().text().then(function (html) {
          var thumbs = html.match(/\/attachments\/\d+\/thumb/g) || [];
          return cache.put(url.pathname, response).then(function () {
            return Promise.all(thumbs.map(function (thumb) {
              return cache.match(thumb).then(function (hit) { return hit || cache.add(thumb); });
            }));
          });
        });
      }).catch(function () {});
    }));
  });
}
self.addEventListener('message', function (event) {
  if (event.data && Array.isArray(event.data.warm)) event.waitUntil(fill().then(function () { return warm(event.data.warm); }));
});

function keep(request, response) {
  // only a page really served (not the login page a lapsed session is sent to)
  if (response.ok && !response.redirected && response.type === 'basic') {
    var copy = response.clone();
    caches.open(VERSION).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

self.addEventListener('fetch', function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.indexOf('/q/') === 0) {
    // a QR point scanned with no signal: the worker's check-in, kept on the phone
    event.respondWith(fetch(request).catch(function () { return caches.match('/field/checkin-offline'); }));
    return;
  }
  if (request.mode === 'navigate' && !kept(url.pathname)) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).then(function (response) { return keep(request, response); })
      .catch(function () {
        return caches.match(request).then(function (hit) {
          return hit || caches.match(url.pathname);
        }).then(function (hit) { return hit || caches.match('/field/'); });
      }));
    return;
  }
  if (THUMB.test(url.pathname)) {  // a photo's thumbnail never changes: the copy at hand
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) { return keep(request, response); });
    }));
    return;
  }
  if (url.pathname.indexOf('/static/') === 0) {
    // pages ask for /static/…?v=<digest>; the shell keeps the plain names (the worker's own
    // version changes with every static file, so a copy at hand is this release's)
    event.respondWith(caches.match(request, { ignoreSearch: true }).then(function (hit) {
      var fresh = fetch(request).then(function (response) { return keep(request, response); })
        .catch(function () { return hit || Response.error(); });
      return hit || fresh;
    }));
  }
});
