/*
 * A stand-in for @telnyx/webrtc in the browser tests, with exactly the
 * surface the dial page's voice adapter uses (html/js/voice.js): global
 * TelnyxWebRTC.TelnyxRTC with on/off/connect/disconnect/newCall, calls with
 * state changes (telnyx.notification callUpdate), hangup, localStream,
 * setAudioInDevice/setAudioOutDevice. There is no Telnyx to reach from a test,
 * so newCall() asks the test process (window.__fakeTelnyx, a Playwright
 * binding) to play Telnyx's part: make the browser's incoming leg at the fake
 * Telnyx, post the signed call.initiated (with the X-Conference header) to our
 * server, and report the conference and the operator's join — after which our
 * server dials the prospect for real (at the fake). Hooks for tests:
 * window.__fakeTelnyxFail ('microphone' | 'login' | 'socket'),
 * window.__fakeTelnyxClient (the last client; .__call its call).
 */
(function () {
  'use strict';

  class Emitter {
    constructor() { this._l = {}; }
    on(ev, fn) { (this._l[ev] = this._l[ev] || []).push(fn); return this; }
    off(ev, fn) {
      if (!fn) delete this._l[ev];
      else this._l[ev] = (this._l[ev] || []).filter((f) => f !== fn);
      return this;
    }
    emit(ev, ...args) { (this._l[ev] || []).slice().forEach((f) => f(...args)); return true; }
  }

  let n = 0;

  class Call {
    constructor(client, options) {
      n += 1;
      this.id = 'fake-call-' + n;
      this._client = client;
      this.options = options || {};
      this.state = 'new';
      this.localStream = null;
      this.audioInDevice = null;
      this.audioOutDevice = null;
    }
    _set(state) {
      if (this.state === 'destroy') return;
      this.state = state;
      this._client.emit('telnyx.notification', { type: 'callUpdate', call: this });
    }
    async hangup() {
      if (this.state === 'hangup' || this.state === 'destroy') return;
      if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
      this._set('hangup');
      this._set('destroy');
      await window.__fakeTelnyx('disconnect', { leg: this._leg || null });
    }
    async setAudioInDevice(deviceId) { this.audioInDevice = deviceId; }
    async setAudioOutDevice(deviceId) { this.audioOutDevice = deviceId; return true; }
  }

  const FAILS = {
    microphone: () => ({ type: 'userMediaError', error: new DOMException('Permission denied', 'NotAllowedError') }),
    login: () => ({ error: { code: -32001, message: 'Authentication Failed' }, sessionId: 'fake' }),
    socket: () => ({ error: new Error('WebSocket connection closed'), sessionId: 'fake' }),
  };

  class TelnyxRTC extends Emitter {
    constructor(options) {
      super();
      this.options = options || {};
      this.connected = false;
      this.calls = [];
      window.__fakeTelnyxClient = this;
    }
    async connect() {
      setTimeout(() => {
        const fail = window.__fakeTelnyxFail;
        if (fail === 'login' || fail === 'socket') { this.emit('telnyx.error', FAILS[fail]()); return; }
        this.connected = true;
        this.emit('telnyx.ready', this);
      }, 0);
    }
    async disconnect() {
      this.calls.forEach((c) => { if (c.state !== 'destroy') c.hangup(); });
      this.connected = false;
    }
    newCall(options) {
      if (!this.connected) throw new Error('newCall before telnyx.ready');
      const call = new Call(this, options);
      this.calls.push(call);
      this.__call = call;
      setTimeout(async () => {
        call._set('new');
        if (window.__fakeTelnyxFail === 'microphone') {
          this.emit('telnyx.notification', FAILS.microphone());
          call._set('hangup');
          call._set('destroy');
          return;
        }
        try {
          call.localStream = await navigator.mediaDevices.getUserMedia({ audio: true });
        } catch (e) {
          this.emit('telnyx.notification', { type: 'userMediaError', error: e });
          call._set('destroy');
          return;
        }
        call._set('requesting');
        call._set('trying');
        const r = await window.__fakeTelnyx('connect', {
          login_token: this.options.login_token,
          destinationNumber: options.destinationNumber,
          customHeaders: options.customHeaders || [],
        });
        if (call.state === 'hangup' || call.state === 'destroy') return;
        if (r.rejected) { call._set('hangup'); call._set('destroy'); return; }
        call._leg = r.leg;
        call._set('active');
      }, 0);
      return call;
    }
  }

  window.TelnyxWebRTC = { TelnyxRTC };
}());
