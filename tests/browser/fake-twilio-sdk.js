/*
 * A stand-in for @twilio/voice-sdk in the browser tests, with exactly the
 * surface the dial page's voice adapter uses (html/js/voice.js). There is no
 * Twilio to reach from a test, so Device.connect() asks the test process
 * (window.__fakeTwilio, a Playwright binding) to play Twilio's part: post
 * the signed voice webhook to our server, open the room at the fake Twilio
 * and report the operator's join — after which our server dials the
 * prospect for real (at the fake). Hooks for tests: window.__fakeTwilioFail
 * (an error code connect() fails with), window.__fakeTwilioDevice.
 */
(function () {
  'use strict';

  class Emitter {
    constructor() { this._l = {}; }
    on(ev, fn) { (this._l[ev] = this._l[ev] || []).push(fn); return this; }
    addListener(ev, fn) { return this.on(ev, fn); }
    once(ev, fn) {
      const w = (...a) => { this.off(ev, w); fn(...a); };
      return this.on(ev, w);
    }
    off(ev, fn) { this._l[ev] = (this._l[ev] || []).filter((f) => f !== fn); return this; }
    removeListener(ev, fn) { return this.off(ev, fn); }
    removeAllListeners(ev) { if (ev) delete this._l[ev]; else this._l = {}; return this; }
    emit(ev, ...args) { (this._l[ev] || []).slice().forEach((f) => f(...args)); return true; }
  }

  function identityOf(token) {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4))).grants.identity;
  }

  const MESSAGES = {
    31208: 'Permission denied by user',
    31401: 'UserMediaError: Permission denied',
    31005: 'Connection error',
    20104: 'Access token expired',
  };

  class Call extends Emitter {
    constructor(device, params) {
      super();
      this._device = device;
      this.customParameters = new Map(Object.entries(params || {}));
      this.parameters = {};
      this._muted = false;
      this._status = 'connecting';
      this._timer = null;
    }
    status() { return this._status; }
    mute(m = true) { this._muted = !!m; this.emit('mute', this._muted, this); }
    isMuted() { return this._muted; }
    disconnect() {
      if (this._status === 'closed') return;
      this._status = 'closed';
      clearInterval(this._timer);
      window.__fakeTwilio('disconnect', { leg: this._leg || null });
      this.emit('disconnect', this);
    }
    _fail(code) {
      const e = { code, message: MESSAGES[code] || 'Error ' + code, causes: [], solutions: [] };
      this._status = 'closed';
      this.emit('error', e);
      this._device.emit('error', e, this);
      this.emit('disconnect', this);
    }
  }

  class Device extends Emitter {
    constructor(token, options) {
      super();
      this.token = token;
      this.options = options || {};
      this.state = 'unregistered';
      this.calls = [];
      const inputs = new Map([['default', { deviceId: 'default', label: 'Fake microphone', kind: 'audioinput' }],
        ['fake-mic-2', { deviceId: 'fake-mic-2', label: 'Second fake microphone', kind: 'audioinput' }]]);
      const outputs = new Map([['default', { deviceId: 'default', label: 'Fake speaker', kind: 'audiooutput' }]]);
      const audio = new Emitter();
      audio.availableInputDevices = inputs;
      audio.availableOutputDevices = outputs;
      audio.inputDevice = null;
      audio.setInputDevice = async (id) => { audio.inputDevice = inputs.get(id) || null; };
      audio.unsetInputDevice = async () => { audio.inputDevice = null; };
      const speakers = new Set();
      audio.speakerDevices = {
        set: async (ids) => { speakers.clear(); [].concat(ids).forEach((i) => speakers.add(i)); },
        get: () => speakers,
      };
      audio.isOutputSelectionSupported = true;
      this.audio = audio;
      window.__fakeTwilioDevice = this;
    }
    async register() { this.state = 'registered'; this.emit('registered'); }
    async unregister() { this.state = 'unregistered'; }
    updateToken(token) { this.token = token; this.tokenUpdates = (this.tokenUpdates || 0) + 1; this.emit('tokenUpdated', this); }
    destroy() { this.calls.forEach((c) => c.disconnect()); this.state = 'destroyed'; this.emit('destroyed'); }
    async connect(opts) {
      const params = (opts && opts.params) || {};
      const call = new Call(this, params);
      this.calls.push(call);
      this.__call = call;
      setTimeout(async () => {
        if (window.__fakeTwilioFail) { call._fail(window.__fakeTwilioFail); return; }
        const r = await window.__fakeTwilio('connect', { identity: identityOf(this.token), params });
        if (r.rejected) { call._fail(31486); return; }
        if (call._status === 'closed') return;
        call._leg = r.leg;
        call.parameters = { CallSid: r.leg };
        call._status = 'open';
        call.emit('accept', call);
        call._timer = setInterval(() => call.emit('volume', call._muted ? 0 : 0.3, 0.2), 100);
      }, 0);
      return call;
    }
  }
  Device.isSupported = true;

  window.Twilio = { Device, Call };
}());
