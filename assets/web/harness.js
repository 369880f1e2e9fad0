// gatewalk harness: loads the smallcase Gateway web SDK named by the bridge,
// runs one transaction with it and posts how its promise settled back to the
// terminal. It knows nothing of a particular SDK build: it only calls
// new scDK({gateway, smallcaseAuthToken, config}) and
// triggerTransaction({transactionId, brokers}).
(function () {
  'use strict';

  var base = location.pathname.replace(/[^/]*$/, ''); // /j/NONCE/
  // tab names this tab to the bridge, which lets only the first tab that
  // opens the link run the journey. It survives a reload of this tab
  // (sessionStorage is per tab) and is new in every other tab.
  var tab = (function () {
    var key = 'gatewalk-tab:' + base;
    try {
      var t = sessionStorage.getItem(key);
      if (t) return t;
    } catch (e) { /* storage off: a new id per load */ }
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    var t2 = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    try { sessionStorage.setItem(key, t2); } catch (e) { /* as above */ }
    return t2;
  }());
  // load names this load of the page: a duplicated tab shares the tab id
  // but not the load, and only the owner's current load may start the SDK.
  var load = (function () {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }());
  function endpoint(name) { return base + name + '?tab=' + encodeURIComponent(tab) + '&load=' + load; }
  var SDK_LOAD_TIMEOUT_MS = 30000;
  var journey = null;
  var deadline = 0;
  var settled = false;
  var timer = 0;

  function el(id) { return document.getElementById(id); }

  function setText(id, text) {
    var node = el(id);
    node.textContent = text || '';
    node.hidden = !text;
  }

  // show renders one state of the journey. details is a list of [term, value].
  function show(state, step, headline, message, details, advice) {
    document.body.setAttribute('data-state', state);
    el('step').textContent = step;
    el('headline').textContent = headline;
    el('message').textContent = message || '';
    var dl = el('details');
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    (details || []).forEach(function (d) {
      if (d[1] === undefined || d[1] === null || d[1] === '') return;
      var dt = document.createElement('dt');
      dt.textContent = d[0];
      var dd = document.createElement('dd');
      dd.textContent = String(d[1]);
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    dl.hidden = !dl.firstChild;
    setText('advice', advice);
  }

  function showRaw(obj) {
    var text = '';
    try { text = JSON.stringify(obj, null, 2); } catch (e) { text = String(obj); }
    setText('raw', text);
  }

  function postJSON(path, obj) {
    return fetch(endpoint(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(obj),
      cache: 'no-store',
      credentials: 'same-origin'
    });
  }

  // report tells the terminal where the journey is. Failures are ignored:
  // the page goes on, and the terminal still has the result endpoint.
  function report(kind, detail) {
    return postJSON('event', { kind: kind, detail: detail || '' }).catch(function () {});
  }

  function remaining() {
    var ms = Math.max(0, deadline - Date.now());
    var s = Math.ceil(ms / 1000);
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ':' + (s < 10 ? '0' : '') + s;
  }

  function tick() {
    if (settled) {
      el('countdown').hidden = true;
      return;
    }
    if (Date.now() >= deadline) {
      el('countdown').hidden = true;
      showExpired();
      return;
    }
    setText('countdown', 'The transaction expires in ' + remaining() + '.');
  }

  function startCountdown() {
    tick();
    timer = setInterval(tick, 1000);
    watchTerminal();
  }

  // watchTerminal asks the terminal every few seconds whether it still
  // waits for this journey, so that a page whose terminal stopped waiting
  // (the operator left the journey, or gatewalk ended) says so instead of
  // offering a journey nobody will record.
  function watchTerminal() {
    var misses = 0;
    var poll = setInterval(function () {
      if (settled) { clearInterval(poll); return; }
      fetch(base + 'state', { cache: 'no-store', credentials: 'same-origin' }).then(function (resp) {
        if (resp.status === 404) return { state: 'abandoned' };
        return resp.json();
      }).then(function (body) {
        misses = 0;
        if (settled) return;
        if (body.state === 'abandoned') { clearInterval(poll); showAbandoned(); }
        if (body.state === 'expired') { clearInterval(poll); showExpired(); }
      }).catch(function () {
        if (++misses >= 2 && !settled) { clearInterval(poll); showAbandoned(); }
      });
    }, 2000);
  }

  function showAbandoned() {
    stop();
    show('abandoned', 'Stopped', 'The terminal stopped waiting for this journey',
      'gatewalk left this journey (or was closed), so nothing this page or the smallcase window does now is recorded.',
      [['transactionId', journey && journey.transactionId]],
      'Close the smallcase window if it is still open: orders completed there may still be placed with the broker. ' +
      'Your terminal says what it knows of this transaction.');
  }

  function stop() {
    settled = true;
    if (timer) clearInterval(timer);
    el('countdown').hidden = true;
    el('start').hidden = true;
  }

  function showExpired() {
    stop();
    show('expired', 'Expired', 'The transaction expired',
      'A transactionId lives 5 minutes and this one ran out before the journey finished. ' +
      'The terminal has stopped waiting for it.',
      [['transactionId', journey && journey.transactionId]],
      'Create a fresh transaction in your terminal and open the new link it prints.');
  }

  function whitelistNote() {
    return 'The Gateway runs the web SDK only on origins whitelisted for gateway "' +
      journey.gateway + '"; this page\'s origin is ' + location.origin + '.';
  }

  function sdkLoadFailed(reason) {
    var host = '';
    try { host = new URL(journey.sdkUrl).host; } catch (e) { host = journey.sdkUrl; }
    var offline = navigator.onLine === false;
    var why = offline
      ? 'This browser says it is offline, so it could not reach ' + host + '.'
      : 'Either this computer cannot reach ' + host + ' (offline, a proxy or a firewall), or the script ' +
        'was refused for this page\'s origin ' + location.origin + ', which must be whitelisted for gateway "' +
        journey.gateway + '".';
    var detail = reason + ': ' + journey.sdkUrl + (offline ? ' (browser offline)' : '') +
      ' [origin ' + location.origin + ']';
    report('sdk_load_failed', detail);
    show('sdk-failed', 'SDK not loaded', 'The smallcase Gateway SDK script could not load', why,
      [['script', journey.sdkUrl], ['reason', reason], ['page origin', location.origin], ['gateway', journey.gateway]],
      'Check the network, or ask smallcase to whitelist ' + location.origin + ' for gateway "' + journey.gateway +
      '" (or use a profile whose port is whitelisted), then reload this page while the transaction is still valid.');
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      var done = false;
      var t = setTimeout(function () {
        if (done) return;
        done = true;
        reject(new Error('no answer within ' + (SDK_LOAD_TIMEOUT_MS / 1000) + ' seconds'));
      }, SDK_LOAD_TIMEOUT_MS);
      s.onload = function () {
        if (done) return;
        done = true;
        clearTimeout(t);
        resolve();
      };
      s.onerror = function () {
        if (done) return;
        done = true;
        clearTimeout(t);
        reject(new Error('the script request failed'));
      };
      s.src = src;
      s.async = true;
      document.head.appendChild(s);
    });
  }

  // asData keeps what the bridge's typed SDK error data can hold: a token and
  // the broker, so a connected token still reaches the terminal.
  function asData(d) {
    if (typeof d === 'string') {
      try { d = JSON.parse(d); } catch (e) { return undefined; }
    }
    if (!d || typeof d !== 'object') return undefined;
    var out = {};
    if (typeof d.smallcaseAuthToken === 'string') out.smallcaseAuthToken = d.smallcaseAuthToken;
    if (typeof d.broker === 'string') out.broker = d.broker;
    if (typeof d.signup === 'boolean') out.signup = d.signup;
    return Object.keys(out).length ? out : undefined;
  }

  function asError(err) {
    var e = err;
    if (e === undefined || e === null) e = {};
    if (typeof e !== 'object') e = { message: String(e) };
    var code = e.code;
    if (code === undefined || code === null) code = e.errorCode;
    code = Number(code);
    if (!isFinite(code)) code = 0;
    var message = e.message !== undefined ? e.message : e.errorMessage;
    return {
      message: message === undefined || message === null ? String(err) : String(message),
      code: Math.trunc(code),
      data: asData(e.data)
    };
  }

  function asResult(value) {
    var v = value;
    if (typeof v === 'string') {
      try { v = JSON.parse(v); } catch (e) { v = { data: v }; }
    }
    if (v === undefined || v === null || typeof v !== 'object' || Array.isArray(v)) {
      v = { data: v === undefined ? null : v };
    }
    return v;
  }

  function showOutcome(outcome) {
    stop();
    if (outcome.ok) {
      var v = outcome.verdict;
      if (v && v.accepted) {
        show('done', 'Done', 'Done: return to your terminal',
          'The SDK finished the journey and gatewalk checked and accepted the result. You can close this tab.',
          [['intent', journey.intent], ['transactionId', journey.transactionId], ['broker', outcome.broker]]);
        return;
      }
      if (v) {
        show('rejected', 'Rejected', 'gatewalk did not accept the result',
          'The SDK finished the journey, but the terminal refused what it returned: nothing was saved from it.',
          [['reason', v.reason], ['transactionId', journey.transactionId], ['broker', outcome.broker]],
          v.advice || 'Return to your terminal for the next step.');
        return;
      }
      show('delivered', 'Delivered', 'The result reached your terminal',
        'The SDK finished the journey and the terminal has the result, but it has not said yet whether it accepts it.',
        [['intent', journey.intent], ['transactionId', journey.transactionId], ['broker', outcome.broker]],
        'Return to your terminal: it says whether the result was accepted.');
      return;
    }
    var info = outcome.error || {};
    var advice = info.advice || 'Create a fresh transaction in your terminal and try again.';
    if (info.code === 100 || info.name === 'invalid_gateway') {
      advice = whitelistNote() + ' ' + advice;
    }
    show('failed', 'Failed', 'The journey failed: ' + (info.name || 'error') + (info.code ? ' (' + info.code + ')' : ''),
      'The SDK reported an error and gatewalk has it. Return to your terminal for the next step.',
      [['error', info.name], ['code', info.code], ['meaning', info.meaning], ['transactionId', journey.transactionId]],
      advice);
  }

  function send(outcome) {
    return postJSON('result', outcome).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.ok) {
          showOutcome({ ok: !!outcome.result, broker: outcome.result && outcome.result.broker, error: body.explain, verdict: body.verdict });
          return;
        }
        if (resp.status === 409) {
          stop();
          show('done', 'Done', 'This journey already has a result',
            'Another tab already handed a result to the terminal. Return to your terminal.');
          return;
        }
        if (resp.status === 410) {
          if (outcome.result) {
            // The SDK resolved after the terminal stopped waiting: what it
            // returned is the only record of it, so it stays on the page.
            stop();
            show('refused', 'Not delivered', 'The SDK finished after the terminal stopped waiting',
              'The transaction had expired by the terminal\'s clock, but the SDK reports that it completed: ' +
              'orders may have been placed.',
              [['transactionId', journey.transactionId]],
              'Check the broker\'s order book before creating a fresh transaction. Here is what the SDK returned:');
            showRaw(outcome);
            return;
          }
          showExpired();
          return;
        }
        stop();
        show('refused', 'Not delivered', 'The terminal did not accept the result',
          (body && body.error) || ('HTTP ' + resp.status),
          [['transactionId', journey.transactionId]],
          'Here is what the SDK returned, so it is not lost:');
        showRaw(outcome);
      });
    }).catch(function () {
      stop();
      show('unreachable', 'Not delivered', 'gatewalk is no longer listening',
        'The result could not be handed back to the terminal at ' + location.origin + '.',
        [['transactionId', journey.transactionId]],
        'Here is what the SDK returned, so it is not lost:');
      showRaw(outcome);
    });
  }

  function intentText(intent) {
    switch (intent) {
      case 'CONNECT': return 'Log in with a broker to connect this user.';
      case 'TRANSACTION': return 'Place the orders of this transaction with the broker.';
      case 'HOLDINGS_IMPORT': return 'Import this user\'s holdings from the broker.';
      default: return intent ? 'Intent ' + intent + '.' : '';
    }
  }

  async function run() {
    var resp;
    try {
      resp = await fetch(endpoint('journey.json'), { cache: 'no-store', credentials: 'same-origin' });
    } catch (e) {
      show('unreachable', 'Not started', 'gatewalk is not listening',
        'This page could not reach gatewalk at ' + location.origin + '.',
        null, 'Start the journey again from your terminal and open the link it prints.');
      return;
    }
    if (!resp.ok) {
      show('refused', 'Not started', 'This journey link is not valid any more',
        'gatewalk does not know this link: the journey was closed, or gatewalk was restarted.',
        null, 'Open the newest link your terminal printed.');
      return;
    }
    journey = await resp.json();
    deadline = Date.now() + Math.max(0, journey.expiresInMs || 0);
    el('title').textContent = (journey.intent || 'Gateway') + ' · ' + journey.gateway;
    setText('summary', intentText(journey.intent) + ' · transactionId ' + journey.transactionId +
      (journey.leprechaun ? ' · leprechaun (test) mode' : ''));
    if (location.hostname !== 'localhost' && journey.origin && journey.origin !== location.origin) {
      setText('warning', 'This page is open at ' + location.origin + ', but the origin whitelisted for the Gateway is ' +
        journey.origin + '. If the SDK refuses to start, open ' + journey.origin + location.pathname + ' instead.');
    }

    if (journey.state === 'settled') {
      showOutcome(journey.outcome || { ok: true });
      return;
    }
    if (journey.state === 'expired' || journey.expiresInMs <= 0) {
      showExpired();
      return;
    }
    if (journey.state === 'abandoned') {
      settled = true;
      showAbandoned();
      return;
    }
    if (journey.role === 'other') {
      settled = true; // this tab reports nothing more, not even its closing
      show('other-tab', 'Open elsewhere', 'This journey is open in another tab',
        'Another tab opened this link first and runs the journey there; this tab will not start the SDK, ' +
        'so the transaction cannot run twice.',
        [['transactionId', journey.transactionId]],
        'Switch to the first tab and close this one. If you closed the first tab before the smallcase window ' +
        'opened, reload this page to run the journey here.');
      return;
    }
    if (journey.role === 'restarted') {
      settled = true;
      show('restarted', 'Reloaded', 'This tab was reloaded after the SDK started',
        'The smallcase journey had already started from this tab, so its answer can no longer reach this page. ' +
        'It is not started again: that could place the orders twice.',
        [['transactionId', journey.transactionId]],
        'Return to your terminal: it asks the Gateway what happened to this transaction before offering anything else.');
      return;
    }
    startCountdown();

    show('loading-sdk', 'Loading SDK', 'Loading the smallcase Gateway SDK…',
      'Fetching ' + journey.sdkUrl, [['gateway', journey.gateway], ['transactionId', journey.transactionId]]);
    try {
      await loadScript(journey.sdkUrl);
    } catch (e) {
      sdkLoadFailed(e.message);
      return;
    }
    if (typeof window.scDK !== 'function') {
      sdkLoadFailed('the script loaded but defines no scDK');
      return;
    }
    if (settled) return; // expired while loading
    await report('sdk_loaded', journey.sdkUrl);

    // The profile's SDK config as the terminal gave it, else amo and the
    // leprechaun flags.
    var config = journey.config;
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      config = { amo: !!journey.amo };
      if (journey.leprechaun) { config.isLeprechaun = true; config.leprechaunEnabled = true; }
    }
    var args = { transactionId: journey.transactionId };
    if (journey.brokers && journey.brokers.length) args.brokers = journey.brokers.slice();

    // The SDK is started from the operator's click, so that a window the
    // SDK opens for the broker counts as opened by the user and is not
    // stopped by the browser's popup blocker.
    show('ready', 'Ready', 'Start the journey',
      intentText(journey.intent) + ' The smallcase window opens when you press Start.',
      [['gateway', journey.gateway], ['transactionId', journey.transactionId]]);
    var button = el('start');
    button.hidden = false;
    button.disabled = false;
    await new Promise(function (resolve) {
      button.addEventListener('click', function onClick() {
        button.removeEventListener('click', onClick);
        button.disabled = true;
        button.hidden = true;
        resolve();
      });
    });
    if (settled) return; // expired, or the terminal stopped waiting, meanwhile

    var outcome;
    try {
      var sdk = new window.scDK({ gateway: journey.gateway, smallcaseAuthToken: journey.smallcaseAuthToken, config: config });
      show('in-progress', 'In progress', 'Complete the journey in the smallcase window',
        intentText(journey.intent) + ' Keep this tab open until it says done.',
        [['gateway', journey.gateway], ['transactionId', journey.transactionId]]);
      // The handshake: the terminal must confirm that this page runs the
      // journey before the SDK is started, so that no second page can.
      var claimed = false;
      try {
        claimed = (await postJSON('event', { kind: 'sdk_started', detail: journey.transactionId })).ok;
      } catch (e) { claimed = false; }
      if (!claimed) {
        settled = true;
        show('other-tab', 'Not started', 'This journey is open in another tab',
          'gatewalk did not confirm that this page runs the journey (another tab or page started it, or the ' +
          'terminal stopped waiting), so the SDK was not started here.',
          [['transactionId', journey.transactionId]], 'Return to the tab that runs it, or to your terminal.');
        return;
      }
      var value = await sdk.triggerTransaction(args);
      outcome = { result: asResult(value) };
    } catch (err) {
      outcome = { error: asError(err) };
    }
    // Sent even when the countdown ran out meanwhile: the bridge decides,
    // and answers 410 when the terminal has stopped waiting. A resolved
    // result is answered once the terminal has checked it.
    if (outcome.result) {
      show('checking', 'Checking', 'gatewalk is checking the result',
        'The SDK finished the journey; the terminal verifies what it returned before it is saved. Keep this tab open.',
        [['transactionId', journey.transactionId]]);
    }
    await send(outcome);
  }

  // A closed (or reloaded) tab is reported while no result has been sent.
  window.addEventListener('pagehide', function () {
    if (settled || !journey) return;
    var body = JSON.stringify({ kind: 'tab_closed', detail: 'the page was closed or reloaded before the SDK finished' });
    var sent = false;
    try {
      if (navigator.sendBeacon) {
        sent = navigator.sendBeacon(endpoint('event'), new Blob([body], { type: 'application/json' }));
      }
    } catch (e) { sent = false; }
    if (!sent) {
      try {
        fetch(endpoint('event'), { method: 'POST', keepalive: true, headers: { 'Content-Type': 'application/json' }, body: body });
      } catch (e) { /* nothing more can be done while the page goes away */ }
    }
  });

  // Anything this page's Content Security Policy blocks (an SDK build that
  // needs more than the policy allows) is told to the terminal, at most a
  // few times, so it does not fail silently.
  var blockedReports = 0;
  document.addEventListener('securitypolicyviolation', function (e) {
    if (blockedReports >= 5) return;
    blockedReports++;
    var what = (e.effectiveDirective || e.violatedDirective) + ' blocked ' + (e.blockedURI || 'inline code') +
      (e.sourceFile ? ' (from ' + e.sourceFile + ')' : '');
    report('csp_blocked', what);
    setText('warning', 'The browser blocked part of the SDK (' + what + '). If the journey stalls, report this line.');
  });

  run().catch(function (e) {
    stop();
    show('failed', 'Failed', 'This page hit an error', String(e && e.message || e), null,
      'Reload the page; if it repeats, start a fresh transaction from your terminal.');
  });
}());
