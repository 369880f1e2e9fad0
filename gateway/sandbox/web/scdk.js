/*
 * gatewalk sandbox: an emulation of the smallcase Gateway web SDK
 * (https://gateway.smallcase.com/scdk/2.0.0/scdk.js) for leprechaun journeys.
 *
 *   var sdk = new scDK({ gateway: 'gatewaydemo', smallcaseAuthToken: jwt, config: { amo: true } });
 *   sdk.triggerTransaction({ transactionId: 'TRX_...', brokers: ['kite'] })
 *      .then(function (res) { ... })      // {success, transaction, smallcaseAuthToken, broker, ...}
 *      .catch(function (err) { ... });    // Error: err.message 'user_cancelled', err.code 1012, err.data
 *   sdk.brokerLogout();
 *
 * The journey is drawn in the page. Every control carries a stable data-sc
 * attribute (broker:ID, account:ID, consent:accept, consent:deny,
 * scenario:NAME, market:NAME, qty:N and side:N (the review screen's
 * quantity and side of line N of a SECURITIES order), confirm, back, close;
 * screens screen:NAME)
 * for automation. The token is checked by the sandbox, never in the browser.
 * config.amo lets orders go as after-market orders when the market is
 * closed in its AMO window; without it such a journey rejects market_closed.
 */
(function () {
  'use strict';

  var VERSION = '2.0.0-gatewalk-sandbox';

  function scriptBase() {
    var s = document.currentScript;
    if (!s || !s.src) {
      var all = document.getElementsByTagName('script');
      for (var i = all.length - 1; i >= 0; i--) {
        if (/\/scdk\/2\.0\.0\/scdk\.js(\?|#|$)/.test(all[i].src)) { s = all[i]; break; }
      }
    }
    if (!s || !s.src) return window.location.origin;
    return new URL(s.src, window.location.href).origin;
  }

  var BASE = scriptBase();

  var INTENT_TEXT = {
    CONNECT: 'Connect your broker account',
    TRANSACTION: 'Review and place orders',
    HOLDINGS_IMPORT: 'Import your holdings',
    AUTHORISE_HOLDINGS: 'Authorise your holdings for selling',
    FETCH_FUNDS: 'Share your available funds',
    SIP_SETUP: 'Set up a SIP',
    CANCEL_AMO: 'Cancel after-market orders',
    MF_HOLDINGS_IMPORT: 'Import your mutual fund holdings'
  };

  // sdkError is a rejection: err.message the error's name, err.code its
  // number. The web SDK's init errors (invalid_transactionId,
  // transaction_in_process, invalid_gateway, invalid_jwt) have no number.
  function sdkError(code, message, data) {
    var e = new Error(message);
    e.name = 'SCGatewayError';
    if (code !== undefined && code !== 0) {
      e.code = code;
      e.errorCode = code;
    }
    e.errorMessage = message;
    if (data) e.data = data;
    return e;
  }

  // envelopeError maps a failed sandbox response to the SDK's init errors.
  function envelopeError(env) {
    if (env instanceof Error) return sdkError(2000, 'internal_error');
    var text = ((env && env.errors) || []).join(' ');
    if (/invalid gateway/i.test(text)) return sdkError(undefined, 'invalid_gateway');
    if (/invalid jwt/i.test(text)) return sdkError(undefined, 'invalid_jwt');
    if (env && env.errorType === 'init_sdk') return sdkError(3004, 'init_sdk');
    return sdkError(2000, 'internal_error');
  }

  function post(path, body, key) {
    var headers = { 'Content-Type': 'application/json' };
    if (key) headers['X-SC-CSRF'] = key;
    return fetch(BASE + path, {
      method: 'POST', headers: headers, body: JSON.stringify(body || {}),
      credentials: 'omit', mode: 'cors', cache: 'no-store'
    }).then(function (r) {
      return r.json().catch(function () { throw new Error('HTTP ' + r.status); });
    }).then(function (env) {
      if (!env || !env.success) {
        if (env && env.errors && env.errors.length && window.console) {
          console.error('[scDK sandbox] ' + env.errors.join('; '));
        }
        throw env || new Error('empty response');
      }
      return env.data;
    });
  }

  function ensureStyles() {
    if (document.querySelector('link[data-scdk-style]')) return;
    var l = document.createElement('link');
    l.rel = 'stylesheet';
    l.href = BASE + '/scdk/2.0.0/scdk.css';
    l.setAttribute('data-scdk-style', '');
    (document.head || document.documentElement).appendChild(l);
  }

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === 'text') n.textContent = attrs[k];
        else if (k === 'onclick') n.addEventListener('click', attrs[k]);
        else n.setAttribute(k, attrs[k]);
      }
    }
    (children || []).forEach(function (c) {
      if (c == null) return;
      n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return n;
  }

  function money(n) {
    return '\u20b9' + Number(n).toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function stripLep(id) { return String(id || '').toLowerCase().replace(/-leprechaun$/, ''); }

  // ---- the journey overlay ------------------------------------------------

  function Journey(sdk, sess, opts) {
    this.sdk = sdk;
    this.sess = sess;
    this.opts = opts;
    this.id = opts.transactionId;
    this.prefix = '/scdk/api/' + encodeURIComponent(sdk.gateway) + '/transactions/' + encodeURIComponent(this.id) + '/';
    this.broker = null;
    this.account = null;
    this.loggedIn = false;
    this.scenario = 'success';
    this.market = ''; // '' = the sandbox's market; else open, amo or closed for this journey
    this.settled = false;
  }

  Journey.prototype.run = function () {
    var self = this;
    return new Promise(function (resolve, reject) {
      self.resolve = resolve;
      self.reject = reject;
      self.mount();
      self.call('open', {}).then(function (data) {
        if (!data) return;
        self.txn = data.transaction;
        self.showBrokers();
      });
    });
  };

  // call posts a step; an outcome in the answer ends the journey.
  Journey.prototype.call = function (step, body) {
    var self = this;
    self.inflight = true;
    self.busy(true);
    return post(self.prefix + step, body, self.sess.sessionKey).then(function (data) {
      self.inflight = false;
      self.busy(false);
      if (data && data.outcome) { self.settle(data.outcome); return null; }
      self.closeIfAsked();
      return data;
    }, function (env) {
      self.inflight = false;
      self.busy(false);
      var msg = (env && env.errors && env.errors.join('; ')) || (env && env.message) || 'the sandbox did not answer';
      self.showError(msg);
      self.closeIfAsked();
      return null;
    });
  };

  // closeIfAsked honours a close pressed while a step was in flight, once
  // the step's own follow-up (e.g. marking the login) has run.
  Journey.prototype.closeIfAsked = function () {
    var self = this;
    if (!this.closeAsked) return;
    this.closeAsked = false;
    setTimeout(function () { self.close(); }, 0);
  };

  Journey.prototype.settle = function (outcome) {
    if (this.settled) return;
    this.settled = true;
    this.unmount();
    this.sdk._busy = false;
    if (outcome.result) {
      this.resolve(outcome.result);
    } else {
      var e = outcome.error || { code: 2000, message: 'internal_error' };
      this.reject(sdkError(e.code, e.message, e.data));
    }
  };

  Journey.prototype.mount = function () {
    var self = this;
    ensureStyles();
    this.title = el('div', { 'class': 'scdk-title' });
    this.body = el('div', { 'class': 'scdk-body' });
    this.timer = el('span', { 'class': 'scdk-timer', 'data-sc': 'timer' });
    var close = el('button', { type: 'button', 'class': 'scdk-close', 'data-sc': 'close', 'aria-label': 'Close', text: '\u00d7', onclick: function () { self.close(); } });
    this.card = el('div', { 'class': 'scdk-card', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'smallcase Gateway (sandbox)' }, [
      el('div', { 'class': 'scdk-head' }, [
        el('span', { 'class': 'scdk-brand', text: 'smallcase gateway' }),
        el('span', { 'class': 'scdk-badge', title: 'leprechaun (test) brokers', text: 'SANDBOX' }),
        this.timer, close
      ]),
      this.title, this.body
    ]);
    this.root = el('div', { 'class': 'scdk-sb scdk-overlay', 'data-sc': 'overlay' }, [this.card]);
    this.onKey = function (ev) { if (ev.key === 'Escape') self.close(); };
    document.addEventListener('keydown', this.onKey);
    (document.body || document.documentElement).appendChild(this.root);
    this.tick = setInterval(function () { self.updateTimer(); }, 1000);
    this.screen('loading', 'Opening the transaction\u2026', [el('div', { 'class': 'scdk-spinner' })]);
  };

  Journey.prototype.unmount = function () {
    clearInterval(this.tick);
    document.removeEventListener('keydown', this.onKey);
    if (this.root && this.root.parentNode) this.root.parentNode.removeChild(this.root);
  };

  Journey.prototype.updateTimer = function () {
    if (!this.txn) return;
    var left = Math.max(0, Math.floor((new Date(this.txn.expireAt).getTime() - Date.now()) / 1000));
    this.timer.textContent = 'expires in ' + Math.floor(left / 60) + ':' + ('0' + (left % 60)).slice(-2);
  };

  Journey.prototype.busy = function (on) {
    if (!this.root) return;
    this.root.classList.toggle('scdk-busy', !!on);
    var bs = this.root.querySelectorAll('button, input, select');
    for (var i = 0; i < bs.length; i++) {
      if (bs[i].getAttribute('data-sc') !== 'close' && !bs[i].hasAttribute('data-untestable')) bs[i].disabled = !!on;
    }
    if (!on) this.updateLines();
  };

  Journey.prototype.screen = function (name, title, nodes) {
    this.title.textContent = title;
    while (this.body.firstChild) this.body.removeChild(this.body.firstChild);
    this.body.appendChild(el('div', { 'class': 'scdk-screen', 'data-sc': 'screen:' + name }, nodes));
    this.updateTimer();
  };

  Journey.prototype.close = function () {
    if (this.settled) return;
    // A second request would race the step in flight: close after it.
    if (this.inflight) { this.closeAsked = true; return; }
    // In the broker chooser: user_cancelled 1010; after choosing a broker,
    // before logging in: 1011; after the login: 1012 with the token.
    var body = {};
    if (this.loggedIn) body = { broker: this.broker.id, account: this.account.id };
    else if (this.broker) body = { stage: 'login' };
    this.call('cancel', body);
  };

  Journey.prototype.showError = function (msg) {
    var self = this;
    this.screen('error', 'Something went wrong', [
      el('p', { 'class': 'scdk-error', text: msg }),
      el('button', { type: 'button', 'class': 'scdk-primary', 'data-sc': 'error:close', text: 'Close',
        onclick: function () { self.settle({ error: { code: 2000, message: 'internal_error' } }); } })
    ]);
  };

  Journey.prototype.brokerList = function () {
    var all = this.sess.brokers || [];
    var want = (this.opts.brokers || []).map(stripLep);
    var list = want.length ? all.filter(function (b) { return want.indexOf(stripLep(b.id)) >= 0; }) : all.slice();
    if (!list.length) list = all.slice();
    var bound = this.txn.boundBroker;
    list.sort(function (a, b) { return (b.id === bound) - (a.id === bound); });
    return list;
  };

  Journey.prototype.showBrokers = function () {
    var self = this;
    var bound = this.txn.boundBroker;
    var markets = this.txn.markets || {};
    var items = this.brokerList().map(function (b) {
      // A broker without a leprechaun mode is listed, but cannot be
      // tested here.
      if (!b.leprechaun || !(b.accounts || []).length) {
        return el('button', { type: 'button', 'class': 'scdk-item', 'data-sc': 'broker:' + b.id, disabled: 'disabled',
          'data-untestable': 'true', title: b.note || '' }, [
          el('span', { 'class': 'scdk-item-name', text: b.name }),
          el('span', { 'class': 'scdk-tag', text: 'no leprechaun mode' })
        ]);
      }
      var m = markets[b.id];
      return el('button', { type: 'button', 'class': 'scdk-item', 'data-sc': 'broker:' + b.id,
        onclick: function () { self.broker = b; self.showLogin(); } }, [
        el('span', { 'class': 'scdk-item-name', text: b.name }),
        b.id === bound ? el('span', { 'class': 'scdk-tag', text: 'your broker' }) : null,
        m && !m.marketOpen ? el('span', { 'class': 'scdk-tag', 'data-sc': 'market-closed:' + b.id, text: m.amoActive ? 'market closed (AMO)' : 'market closed' }) : null
      ]);
    });
    this.screen('brokers', INTENT_TEXT[this.txn.intent] || this.txn.intent, [
      el('p', { 'class': 'scdk-muted', text: bound ? 'Log in with the broker account you connected before.' : 'Choose your broker to continue.' }),
      el('div', { 'class': 'scdk-list' }, items)
    ]);
  };

  Journey.prototype.showLogin = function () {
    var self = this;
    var b = this.broker;
    var items = b.accounts.map(function (a) {
      var linked = b.id === self.txn.boundBroker && a.id === self.txn.boundAccount;
      return el('button', { type: 'button', 'class': 'scdk-item', 'data-sc': 'account:' + a.id,
        onclick: function () { self.login(a); } }, [
        el('span', { 'class': 'scdk-item-name', text: a.name }),
        el('span', { 'class': 'scdk-mono', text: a.id }),
        linked ? el('span', { 'class': 'scdk-tag', text: 'linked to this user' }) : null
      ]);
    });
    this.screen('login', 'Log in to ' + b.name, [
      el('p', { 'class': 'scdk-muted', text: 'Pick a leprechaun test account (no password in the sandbox).' }),
      el('div', { 'class': 'scdk-list' }, items),
      el('button', { type: 'button', 'class': 'scdk-link', 'data-sc': 'back', text: '\u2190 other brokers',
        onclick: function () { self.broker = null; self.showBrokers(); } })
    ]);
  };

  Journey.prototype.login = function (a) {
    var self = this;
    this.call('login', { broker: this.broker.id, account: a.id }).then(function (data) {
      if (!data) return;
      self.account = a;
      self.loggedIn = true;
      self.showConsent();
    });
  };

  Journey.prototype.showConsent = function () {
    var self = this;
    this.screen('consent', 'Allow ' + (this.sess.displayName || 'the partner') + '?', [
      el('p', { text: 'Logged in as ' + this.account.name + ' (' + this.account.id + ') on ' + this.broker.name + '.' }),
      el('p', { 'class': 'scdk-muted', text: (INTENT_TEXT[this.txn.intent] || this.txn.intent) + ': the partner will receive a smallcaseAuthToken for this account.' }),
      el('div', { 'class': 'scdk-actions' }, [
        el('button', { type: 'button', 'class': 'scdk-secondary', 'data-sc': 'consent:deny', text: 'Deny',
          onclick: function () { self.finish('consent_denied'); } }),
        el('button', { type: 'button', 'class': 'scdk-primary', 'data-sc': 'consent:accept', text: 'Allow',
          onclick: function () { self.showReview(); } })
      ])
    ]);
  };

  Journey.prototype.showReview = function () {
    var self = this;
    var nodes = [];
    var t = this.txn;
    if (t.intent === 'TRANSACTION') {
      if (this.editable()) {
        nodes.push(this.linesTable());
      } else if (t.orders.length) {
        var rows = t.orders.map(function (o) {
          return el('tr', null, [
            el('td', { text: o.ticker }), el('td', { text: o.type }),
            el('td', { 'class': 'scdk-num', text: String(o.quantity) }), el('td', { 'class': 'scdk-num', text: money(o.price) })
          ]);
        });
        nodes.push(el('table', { 'class': 'scdk-orders', 'data-sc': 'orders' }, [
          el('thead', null, [el('tr', null, [el('th', { text: 'Symbol' }), el('th', { text: 'Side' }), el('th', { 'class': 'scdk-num', text: 'Qty' }), el('th', { 'class': 'scdk-num', text: 'Price' })])]),
          el('tbody', null, rows)
        ]));
      } else {
        nodes.push(el('p', { 'class': 'scdk-muted', text: 'No orders to place (' + ((t.orderConfig && t.orderConfig.type) || 'order') + ').' }));
      }
      if (t.orders.length) {
        this.marketLine = el('p', { 'class': 'scdk-muted', 'data-sc': 'market' });
        nodes.push(this.marketLine);
        var cur = this.marketState();
        var modes = [
          ['configured', 'As configured (' + (cur.marketOpen ? 'open' : (cur.amoActive ? 'AMO window' : 'closed')) + ')'],
          ['open', 'Open'], ['amo', 'Closed, AMO window'], ['closed', 'Closed']
        ];
        nodes.push(el('div', { 'class': 'scdk-label', text: 'Sandbox market' }));
        nodes.push(el('div', { 'class': 'scdk-chips', 'data-sc': 'markets' }, modes.map(function (m) {
          return el('button', { type: 'button', 'class': 'scdk-chip', 'data-sc': 'market:' + m[0],
            'aria-pressed': String((self.market || 'configured') === m[0]),
            onclick: function () { self.pickMarket(m[0]); } }, [m[1]]);
        })));
      }
    } else {
      nodes.push(el('p', { text: INTENT_TEXT[t.intent] || t.intent }));
    }
    if (t.notes) nodes.push(el('p', { 'class': 'scdk-muted', text: 'Notes: ' + t.notes }));
    // The scenarios that apply to this transaction (no order scenario on a
    // CONNECT), else every one.
    var picks = (t.scenarios || this.sess.scenarios || []).map(function (sc) {
      return el('button', { type: 'button', 'class': 'scdk-chip', 'data-sc': 'scenario:' + sc.name, title: sc.description,
        'aria-pressed': String(sc.name === self.scenario),
        onclick: function () { self.pick(sc.name); } }, [sc.label]);
    });
    nodes.push(el('div', { 'class': 'scdk-label', text: 'Sandbox scenario' }));
    nodes.push(el('div', { 'class': 'scdk-chips', 'data-sc': 'scenarios' }, picks));
    this.confirmBtn = el('button', { type: 'button', 'class': 'scdk-primary', 'data-sc': 'confirm',
      text: t.intent === 'TRANSACTION' ? 'Place orders' : 'Continue',
      onclick: function () { if (self.linesReady()) self.finish(self.scenario); } });
    this.linesHint = el('p', { 'class': 'scdk-muted', 'data-sc': 'lines-hint' });
    nodes.push(this.linesHint);
    nodes.push(el('div', { 'class': 'scdk-actions' }, [this.confirmBtn]));
    this.screen('review', t.intent === 'TRANSACTION' ? 'Review orders' : 'Confirm', nodes);
    this.updateMarket();
    this.updateLines();
  };

  // editable: a SECURITIES order, whose quantities and sides the user may
  // change on the review screen, and must choose where the partner left
  // them out.
  Journey.prototype.editable = function () {
    var oc = this.txn.orderConfig;
    return this.txn.intent === 'TRANSACTION' && oc && oc.type === 'SECURITIES' && (oc.securities || []).length > 0;
  };

  Journey.prototype.linesTable = function () {
    var self = this;
    var prices = {};
    (this.txn.orders || []).forEach(function (o) { prices[o.ticker] = o.price; });
    this.lines = this.txn.orderConfig.securities.map(function (s) {
      return { ticker: s.ticker, quantity: s.quantity || null, type: s.type || '' };
    });
    var rows = this.lines.map(function (line, i) {
      var qty = el('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', 'class': 'scdk-qty',
        'data-sc': 'qty:' + i, 'aria-label': 'Quantity of ' + line.ticker, placeholder: 'qty',
        value: line.quantity ? String(line.quantity) : null });
      qty.addEventListener('input', function () {
        var n = Number(qty.value);
        line.quantity = (qty.value !== '' && Math.floor(n) === n && n >= 1) ? n : null;
        self.updateLines();
      });
      var side = el('select', { 'class': 'scdk-side', 'data-sc': 'side:' + i, 'aria-label': 'Side of ' + line.ticker }, [
        el('option', { value: '', text: 'Choose' }), el('option', { value: 'BUY', text: 'BUY' }), el('option', { value: 'SELL', text: 'SELL' })
      ]);
      side.value = line.type;
      side.addEventListener('change', function () { line.type = side.value; self.updateLines(); });
      return el('tr', null, [
        el('td', { text: line.ticker }), el('td', null, [side]),
        el('td', { 'class': 'scdk-num' }, [qty]), el('td', { 'class': 'scdk-num', text: prices[line.ticker] != null ? money(prices[line.ticker]) : '' })
      ]);
    });
    return el('table', { 'class': 'scdk-orders', 'data-sc': 'orders' }, [
      el('thead', null, [el('tr', null, [el('th', { text: 'Symbol' }), el('th', { text: 'Side' }), el('th', { 'class': 'scdk-num', text: 'Qty' }), el('th', { 'class': 'scdk-num', text: 'Price' })])]),
      el('tbody', null, rows)
    ]);
  };

  // linesReady: every line has a side and a whole quantity of 1 or more.
  Journey.prototype.linesReady = function () {
    if (!this.lines) return true;
    return this.lines.every(function (l) { return l.quantity >= 1 && (l.type === 'BUY' || l.type === 'SELL'); });
  };

  Journey.prototype.updateLines = function () {
    if (!this.confirmBtn) return;
    var ready = this.linesReady();
    this.confirmBtn.disabled = !ready;
    this.confirmBtn.setAttribute('aria-disabled', String(!ready));
    this.linesHint.textContent = ready ? '' : 'Choose a side and a quantity for every order.';
  };

  // marketState is the market this journey will see: the pick of the
  // market chips, else the sandbox's.
  Journey.prototype.marketState = function () {
    switch (this.market) {
      case 'open': return { marketOpen: true, amoActive: false };
      case 'amo': return { marketOpen: false, amoActive: true };
      case 'closed': return { marketOpen: false, amoActive: false };
    }
    var per = this.txn.markets || {};
    return (this.broker && per[this.broker.id]) || this.txn.market || {};
  };

  // updateMarket says what the market means for the orders: the SDK goes on
  // when the market is open, or in its AMO window with config.amo.
  Journey.prototype.updateMarket = function () {
    if (!this.marketLine) return;
    var m = this.marketState();
    var amo = !!this.sdk.config.amo;
    var text;
    if (m.marketOpen) text = 'Market open: the orders are placed and fill.';
    else if (m.amoActive && amo) text = 'Market closed, AMO window: the orders will be placed as after-market orders (AMO) and stay PLACED until the market opens.';
    else if (m.amoActive) text = 'Market closed, AMO window, but this page did not enable AMO (new scDK({config: {amo: true}})): the journey will reject market_closed.';
    else text = 'Market closed: the journey will reject market_closed.';
    this.marketLine.textContent = text;
  };

  Journey.prototype.pickMarket = function (name) {
    this.market = name === 'configured' ? '' : name;
    var chips = this.root.querySelectorAll('[data-sc^="market:"]');
    for (var i = 0; i < chips.length; i++) {
      chips[i].setAttribute('aria-pressed', String(chips[i].getAttribute('data-sc') === 'market:' + name));
    }
    this.updateMarket();
  };

  Journey.prototype.pick = function (name) {
    this.scenario = name;
    var chips = this.root.querySelectorAll('[data-sc^="scenario:"]');
    for (var i = 0; i < chips.length; i++) {
      chips[i].setAttribute('aria-pressed', String(chips[i].getAttribute('data-sc') === 'scenario:' + name));
    }
  };

  Journey.prototype.finish = function (outcome) {
    var body = { broker: this.broker.id, account: this.account.id, outcome: outcome, amo: !!this.sdk.config.amo };
    if (this.market) body.market = this.market;
    if (this.lines && outcome !== 'consent_denied') {
      body.lines = this.lines.map(function (l) { return { ticker: l.ticker, quantity: l.quantity, type: l.type }; });
    }
    this.call('complete', body);
  };

  // ---- the public surface -------------------------------------------------

  function scDK(opts) {
    if (!(this instanceof scDK)) return new scDK(opts);
    opts = opts || {};
    this.gateway = opts.gateway;
    this.config = opts.config || {};
    this._busy = false;
    this.setSmallcaseAuthToken(opts.smallcaseAuthToken);
  }

  scDK.prototype.setSmallcaseAuthToken = function (token) {
    var self = this;
    this._token = token;
    if (!this.gateway) {
      this._ready = Promise.reject(sdkError(undefined, 'invalid_gateway'));
    } else if (!token) {
      this._ready = Promise.reject(sdkError(undefined, 'invalid_jwt'));
    } else {
      this._ready = post('/scdk/api/' + encodeURIComponent(this.gateway) + '/init', { sdkToken: token })
        .then(function (data) { self._session = data; return data; }, function (env) { throw envelopeError(env); });
    }
    this._ready.catch(function () {});
    return this._ready;
  };

  scDK.prototype.init = function (opts) {
    if (opts && opts.smallcaseAuthToken) return this.setSmallcaseAuthToken(opts.smallcaseAuthToken);
    return this._ready;
  };

  scDK.prototype.triggerTransaction = function (opts) {
    var self = this;
    opts = opts || {};
    return this._ready.then(function (sess) {
      if (!opts.transactionId) throw sdkError(undefined, 'invalid_transactionId');
      if (self._busy) throw sdkError(undefined, 'transaction_in_process');
      self._busy = true;
      return new Journey(self, sess, opts).run();
    });
  };

  scDK.prototype.brokerLogout = function () {
    var self = this;
    return this._ready.then(function (sess) {
      return post('/scdk/api/' + encodeURIComponent(self.gateway) + '/logout', {}, sess.sessionKey);
    }).then(function () { return true; }, function (err) {
      throw (err instanceof Error && err.code) ? err : envelopeError(err);
    });
  };

  scDK.version = VERSION;
  scDK.sandbox = true;
  scDK.apiBase = BASE;
  window.scDK = scDK;
})();
