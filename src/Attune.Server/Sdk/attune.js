/*! Attune tracker (served by Attune at /sdk/attune.js): page views, clicks on recommended items carrying their
 *  recommendationId, identify on sign-in; batched, retried with backoff. Plain ES2017, no dependencies, no build step.
 *  docs/api.md "JavaScript tracker". */
(function (window, document) {
  'use strict';
  if (window.Attune && window.Attune.version) return;

  var VERSION = '1.0.0';
  var COOKIE = 'attune_aid';
  var USER_KEY = 'attune_uid';
  var TOKEN_KEY = 'attune_utk'; // the user token the backend issued (client keys: docs/api.md "Client keys")
  var SESSION_KEY = 'attune_sid';
  var MAX_BATCH = 50;          // events per request (the server takes up to 10,000; keepalive bodies must stay under 64 KiB)
  var MAX_QUEUE = 1000;        // events kept in memory while the server cannot be reached; the oldest go first beyond it
  var KEEPALIVE_LIMIT = 60000; // bytes: a larger body is sent without keepalive
  var KNOWN = ['itemId', 'value', 'recommendationId', 'query', 'sessionId', 'channel', 'timestamp'];

  var script = document.currentScript;
  var config = null;
  var queue = [];      // events not sent yet
  var inflight = null; // the batch being sent (put back at the front of the queue if it fails)
  var failures = 0;
  var timer = null;
  var state = { anonymousId: null, userId: null, userToken: null, sessionId: null };

  function warn(message, detail) {
    if (window.console && console.warn) console.warn('[attune] ' + message, detail === undefined ? '' : detail);
  }

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] + 0x100).toString(16).slice(1);
    return s;
  }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; } // blocked storage throws on access
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split('; ') : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf('=');
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  function writeCookie(name, value, maxAgeDays) {
    var cookie = name + '=' + encodeURIComponent(value) + '; Path=/; Max-Age=' + Math.round(maxAgeDays * 86400) + '; SameSite=Lax';
    if (config.cookieDomain) cookie += '; Domain=' + config.cookieDomain;
    if (location.protocol === 'https:') cookie += '; Secure';
    document.cookie = cookie;
  }

  /** The anonymous id: a first-party cookie, with localStorage as the fallback when cookies are blocked. */
  function loadAnonymousId() {
    var local = storage('localStorage');
    var id = readCookie(COOKIE) || (local && local.getItem(COOKIE));
    if (!id) id = randomId();
    writeCookie(COOKIE, id, config.cookieDays);
    if (local) local.setItem(COOKIE, id);
    return id;
  }

  function loadSessionId() {
    var session = storage('sessionStorage');
    var id = session && session.getItem(SESSION_KEY);
    if (!id) {
      id = randomId();
      if (session) session.setItem(SESSION_KEY, id);
    }
    return id;
  }

  function headers() {
    var h = { 'Content-Type': 'application/json' };
    if (config.key) h.Authorization = 'Bearer ' + config.key;
    return h;
  }

  function post(path, body, keepalive) {
    var text = JSON.stringify(body);
    return fetch(config.endpoint + path, {
      method: 'POST', headers: headers(), body: text, credentials: 'omit',
      keepalive: !!keepalive && text.length < KEEPALIVE_LIMIT,
    });
  }

  function backoff(response) {
    var asked = response && response.headers && Number(response.headers.get('Retry-After'));
    if (asked > 0) return Math.min(asked * 1000, config.maxRetryDelay);
    var ceiling = Math.min(config.maxRetryDelay, config.retryDelay * Math.pow(2, failures - 1));
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  function schedule(delay) {
    if (timer) return;
    timer = setTimeout(function () { timer = null; flush(); }, delay);
  }

  function isTransient(status) {
    return status >= 500 || status === 408 || status === 429;
  }

  /** Sends what is queued, batch by batch. Resolves when the queue is empty or a send failed (a retry is then scheduled). */
  function flush(keepalive) {
    if (!config) return Promise.resolve();
    if (inflight) return inflight.promise;
    if (!queue.length) return Promise.resolve();
    if (timer) { clearTimeout(timer); timer = null; }
    var batch = queue.splice(0, MAX_BATCH);
    var current = { batch: batch };
    inflight = current;
    current.promise = post('/v1/events', batch, keepalive !== false).then(function (response) {
      if (response.ok) {
        failures = 0;
        return response.json().then(function (answer) {
          if (answer && answer.rejected && answer.rejected.length) warn(answer.rejected.length + ' event(s) rejected', answer.rejected);
        }, function () { });
      }
      if (isTransient(response.status)) {
        failures++;
        queue = batch.concat(queue);
        schedule(backoff(response));
        throw response;
      }
      // A 4xx: the batch itself is wrong (or the key is): sending it again would fail again.
      return response.text().then(function (body) { warn('events dropped: ' + response.status, body); });
    }, function (error) {
      failures++;
      queue = batch.concat(queue);
      schedule(backoff(null));
      throw error;
    }).then(function () {
      inflight = null;
      return flush(keepalive);
    }, function () {
      inflight = null; // a retry is scheduled
    });
    return current.promise;
  }

  function enqueue(event) {
    queue.push(event);
    if (queue.length > MAX_QUEUE) {
      queue.splice(0, queue.length - MAX_QUEUE);
      warn('queue full: oldest events dropped');
    }
    // While the server fails, the scheduled retry sends: new events do not hasten it.
    if (queue.length >= config.batchSize && failures === 0) flush();
    else schedule(config.flushInterval);
  }

  function baseContext() {
    var context = { page: location.pathname + location.search };
    if (document.referrer) context.referrer = document.referrer;
    if (navigator.language) context.locale = navigator.language;
    context.device = /Mobi|Android|iPhone|iPad/i.test(navigator.userAgent) ? 'mobile' : 'desktop';
    return context;
  }

  /** Records an event: fields the API knows (itemId, value, recommendationId, query…) go on the event, the rest in context. */
  function track(type, props) {
    if (!config) { warn('call Attune.init first'); return; }
    props = props || {};
    var event = { type: type, anonymousId: state.anonymousId, sessionId: state.sessionId, channel: config.channel,
      timestamp: new Date().toISOString() };
    if (state.userId) event.userId = state.userId;
    if (state.userId && state.userToken) event.userToken = state.userToken; // per event: a batch may span a sign-in or sign-out
    var context = baseContext();
    Object.keys(props).forEach(function (name) {
      var value = props[name];
      if (value === undefined || value === null) return;
      if (KNOWN.indexOf(name) >= 0) event[name] = value;
      else if (name === 'context' && typeof value === 'object') Object.keys(value).forEach(function (k) { context[k] = value[k]; });
      else context[name] = value;
    });
    event.context = context;
    enqueue(event);
  }

  /** A page view: with an itemId (a product page) a `view` of that item; without, `custom.page_view`. */
  function page(props) {
    props = props || {};
    track(props.itemId ? 'view' : 'custom.page_view', props);
  }

  /**
   * Sign-in: links this browser's anonymous id to the user (POST /v1/identify); later events carry both ids. With a `client`
   * key pass the user token your backend issued for this user: identify(userId, { token: '…' }); it goes with identify and
   * with every later event of the user (until reset).
   */
  function identify(userId, options) {
    if (!config) { warn('call Attune.init first'); return Promise.resolve(); }
    state.userId = String(userId);
    state.userToken = (options && options.token) ? String(options.token) : null;
    var local = storage('localStorage');
    if (local) {
      local.setItem(USER_KEY, state.userId);
      if (state.userToken) local.setItem(TOKEN_KEY, state.userToken); else local.removeItem(TOKEN_KEY);
    }
    var attempt = 0;
    var body = { anonymousId: state.anonymousId, userId: state.userId };
    if (state.userToken) body.userToken = state.userToken;
    function send() {
      attempt++;
      return post('/v1/identify', body, true).then(function (response) {
        if (response.ok) return response.json();
        if (isTransient(response.status) && attempt < 5) return wait(backoffFor(attempt, response)).then(send);
        return response.text().then(function (body) { warn('identify failed: ' + response.status, body); });
      }, function () {
        if (attempt < 5) return wait(backoffFor(attempt, null)).then(send);
        warn('identify failed: the server could not be reached');
      });
    }
    return send();
  }

  function backoffFor(attempt, response) {
    var saved = failures;
    failures = attempt;
    var delay = backoff(response);
    failures = saved;
    return delay;
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  /** Sign-out: forget the user and start a new anonymous id. */
  function reset() {
    state.userId = null;
    state.userToken = null;
    var local = storage('localStorage');
    if (local) { local.removeItem(USER_KEY); local.removeItem(TOKEN_KEY); local.removeItem(COOKIE); }
    writeCookie(COOKIE, '', 0);
    state.anonymousId = loadAnonymousId();
  }

  function onClick(e) {
    var target = e.target;
    var element = target && target.closest ? target.closest('[data-attune-item]') : null;
    if (!element) return;
    var holder = element.closest('[data-attune-recommendation]');
    var props = { itemId: element.getAttribute('data-attune-item') };
    if (holder) props.recommendationId = holder.getAttribute('data-attune-recommendation');
    track('click', props);
    flush(true); // a click often navigates away: send it now, with keepalive
  }

  /** The page is going away: send what is queued with keepalive (sendBeacon when no key is configured, it cannot send one). */
  function onPageHide() {
    if (!queue.length) return;
    if (!config.key && navigator.sendBeacon) {
      while (queue.length) {
        var batch = queue.slice(0, MAX_BATCH);
        var blob = new Blob([JSON.stringify(batch)], { type: 'application/json' });
        if (!navigator.sendBeacon(config.endpoint + '/v1/events', blob)) break;
        queue.splice(0, batch.length);
      }
      return;
    }
    while (queue.length) {
      var events = queue.splice(0, MAX_BATCH);
      post('/v1/events', events, true).catch(function () { });
    }
  }

  function defaultEndpoint() {
    if (script && script.src) return script.src.replace(/\/sdk\/attune\.js(\?.*)?$/, '');
    return location.origin;
  }

  /**
   * Starts the tracker. options: endpoint (default: where this script came from; another origin works when the key lists
   * this page's origin), key (a `client` key, or an `ingest` key on a page you trust with every user id), batchSize (20), flushInterval (ms, 2000), retryDelay (ms, 1000),
   * maxRetryDelay (ms, 30000), autoClicks (true), channel ('web'), cookieDays (365), cookieDomain.
   */
  function init(options) {
    options = options || {};
    config = {
      endpoint: String(options.endpoint || defaultEndpoint()).replace(/\/+$/, ''),
      key: options.key || null,
      batchSize: options.batchSize || 20,
      flushInterval: options.flushInterval || 2000,
      retryDelay: options.retryDelay || 1000,
      maxRetryDelay: options.maxRetryDelay || 30000,
      autoClicks: options.autoClicks !== false,
      channel: options.channel || 'web',
      cookieDays: options.cookieDays || 365,
      cookieDomain: options.cookieDomain || null,
    };
    state.anonymousId = loadAnonymousId();
    state.sessionId = loadSessionId();
    var local = storage('localStorage');
    state.userId = (local && local.getItem(USER_KEY)) || null;
    state.userToken = (state.userId && local && local.getItem(TOKEN_KEY)) || null;
    if (config.autoClicks) document.addEventListener('click', onClick, true);
    window.addEventListener('pagehide', onPageHide);
    return api;
  }

  var api = {
    version: VERSION,
    init: init,
    page: page,
    track: track,
    identify: identify,
    reset: reset,
    flush: function () { return flush(true); },
    anonymousId: function () { return state.anonymousId; },
    userId: function () { return state.userId; },
    pending: function () { return queue.length + (inflight ? inflight.batch.length : 0); },
  };
  window.Attune = api;
})(window, document);
