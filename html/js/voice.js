// The voice adapter: the only code that touches the voice SDKs (Twilio's
// @twilio/voice-sdk, Telnyx's @telnyx/webrtc), picked by the token's provider.
//
// createVoice(callResponse, hooks) -> { connect, disconnect, setInputDevice,
//   setOutputDevice, destroy }
// callResponse is POST /api/v1/calls's answer ({call, token}). Hooks (all optional):
//   onInfo(text)            a standing remark ("Simulated call")
//   onNote(text)            a non-fatal remark (microphone unavailable in a simulation)
//   onAccept()              the operator's leg is connected
//   onDisconnect(why)       the operator's leg ended
//   onError({message, reason, code, fatal})   fatal: the operator never got in;
//                           reason: a few words for "Failed: …"
//   onWarning(name, active) call-quality warnings
//   onLevel(0..1)           microphone input level
//   onDevices({inputs, outputs})  [{id, label}] once permission is granted,
//                           and again whenever a device comes or goes
//   fetchToken() -> Promise<token object>  a fresh token (tokenWillExpire)

import { sdkErrorWords, sdkFailWords, telnyxErrorWords } from './words.js';

// Each SDK is loaded once, on the first call that needs it, by a <script src>.
const SDKS = {
  twilio: { url: '/vendor/twilio.min.js', get: () => window.Twilio && window.Twilio.Device && window.Twilio },
  telnyx: { url: '/vendor/telnyx-webrtc.js', get: () => window.TelnyxWebRTC && window.TelnyxWebRTC.TelnyxRTC && window.TelnyxWebRTC },
};
const sdkPromises = {};

function loadSdk(name = 'twilio') {
  const sdk = SDKS[name];
  if (sdk.get()) return Promise.resolve(sdk.get());
  if (!sdkPromises[name]) {
    sdkPromises[name] = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = sdk.url;
      s.async = true;
      s.addEventListener('load', () => {
        if (sdk.get()) resolve(sdk.get());
        else reject(new Error('The voice library loaded but is not usable.'));
      });
      s.addEventListener('error', () => {
        sdkPromises[name] = null;
        s.remove();
        reject(new Error('The voice library could not be loaded. Reload the page and try again.'));
      });
      document.head.appendChild(s);
    });
  }
  return sdkPromises[name];
}

// The edge is the server's setting (TWILIO_EDGE, handed over with the
// token); unset, the SDK picks the nearest.
function edgeSetting(token) {
  return token && token.edge ? token.edge : undefined;
}

function labelled(list, kind) {
  return list.map((d, i) => ({ id: d.deviceId, label: d.label || `${kind} ${i + 1}` }));
}

async function browserDevices(kind) {
  try {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === kind);
  } catch {
    return [];
  }
}

// --- A level meter from a MediaStream (simulated calls) ---------------
function levelMeter(stream, onLevel) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return () => {};
  let ctx;
  try { ctx = new Ctx(); } catch { return () => {}; }
  const src = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  src.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let raf = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
    const rms = Math.sqrt(sum / buf.length);
    onLevel(Math.min(1, rms * 4));
    raf = requestAnimationFrame(tick);
  };
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  raf = requestAnimationFrame(tick);
  return () => {
    stopped = true;
    cancelAnimationFrame(raf);
    try { src.disconnect(); } catch { /* already gone */ }
    ctx.close().catch(() => {});
  };
}

function simVoice(resp, hooks) {
  let stream = null;
  let stopMeter = () => {};
  let dead = false;
  let granted = false;

  async function listDevices() {
    const inputs = labelled(await browserDevices('audioinput'), 'Microphone');
    const outputs = labelled(await browserDevices('audiooutput'), 'Speaker');
    if (!dead) hooks.onDevices && hooks.onDevices({ inputs, outputs });
  }
  const onDeviceChange = () => { if (granted && !dead) listDevices(); };

  function stopStream() {
    stopMeter();
    stopMeter = () => {};
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }

  async function open(deviceId) {
    const audio = deviceId ? { deviceId: { exact: deviceId } } : true;
    const s = await navigator.mediaDevices.getUserMedia({ audio });
    if (dead) { s.getTracks().forEach((t) => t.stop()); return; }
    stopStream();
    stream = s;
    stopMeter = levelMeter(s, (v) => hooks.onLevel && hooks.onLevel(v));
  }

  return {
    async connect() {
      hooks.onInfo && hooks.onInfo('Simulated call');
      // The simulated operator leg is "in" at once; the server walks the call.
      hooks.onAccept && hooks.onAccept();
      try {
        if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error('no media');
        await open(null);
        if (dead) return;
        // Devices are listed (with their names) only once permission is granted.
        granted = true;
        await listDevices();
        if (navigator.mediaDevices.addEventListener) navigator.mediaDevices.addEventListener('devicechange', onDeviceChange);
      } catch {
        if (dead) return;
        hooks.onLevel && hooks.onLevel(0);
        hooks.onNote && hooks.onNote('Your microphone is blocked or unavailable, so the level meter stays at 0. The simulated call goes on.');
      }
    },
    disconnect() { stopStream(); },
    async setInputDevice(id) { if (!dead) await open(id); },
    async setOutputDevice() { /* nothing plays in a simulation */ },
    destroy() {
      dead = true;
      stopStream();
      if (navigator.mediaDevices && navigator.mediaDevices.removeEventListener) navigator.mediaDevices.removeEventListener('devicechange', onDeviceChange);
    },
  };
}

function twilioVoice(resp, hooks) {
  const token = resp.token;
  let device = null;
  let call = null;
  let accepted = false;
  let dead = false;
  let devicesShown = false;

  const error = (err, fatal) => {
    if (dead) return;
    hooks.onError && hooks.onError({
      message: sdkErrorWords(err),
      reason: sdkFailWords(err),
      code: err && err.code,
      fatal: fatal === undefined ? !accepted : fatal,
    });
  };

  function hangUp() {
    try { if (call && typeof call.disconnect === 'function') call.disconnect(); } catch { /* gone */ }
  }

  async function showDevices(again = false) {
    if (dead || (devicesShown && !again) || !device || !device.audio) return;
    if (!devicesShown && typeof device.audio.on === 'function') {
      device.audio.on('deviceChange', () => { if (!dead) showDevices(true); });
    }
    devicesShown = true;
    let inputs = [];
    try {
      const m = device.audio.availableInputDevices;
      if (m && typeof m.forEach === 'function') m.forEach((info, id) => inputs.push({ deviceId: id, label: info && info.label }));
    } catch { inputs = []; }
    let outputs = [];
    try {
      const m = device.audio.availableOutputDevices;
      if (m && typeof m.forEach === 'function') m.forEach((info, id) => outputs.push({ deviceId: id, label: info && info.label }));
    } catch { outputs = []; }
    if (!outputs.length) outputs = await browserDevices('audiooutput');
    if (!dead) {
      hooks.onDevices && hooks.onDevices({
        inputs: labelled(inputs, 'Microphone'),
        outputs: labelled(outputs, 'Speaker'),
      });
    }
  }

  return {
    async connect() {
      let Twilio;
      try {
        Twilio = await loadSdk('twilio');
      } catch (e) {
        if (!dead) hooks.onError && hooks.onError({ message: e.message, reason: 'voice library not loaded', code: null, fatal: true });
        return;
      }
      if (dead) return;
      try {
        device = new Twilio.Device(token.token, {
          codecPreferences: ['opus', 'pcmu'],
          edge: edgeSetting(token),
          closeProtection: true,
        });
        device.on('tokenWillExpire', async () => {
          try {
            const t = await hooks.fetchToken();
            if (!dead && device && t && t.token) device.updateToken(t.token);
          } catch (e) {
            if (!dead) hooks.onError && hooks.onError({ message: `Could not renew the voice access token: ${e.message}`, code: null, fatal: false });
          }
        });
        device.on('error', (e) => error(e));
        call = await device.connect({ params: { conference: token.conference_name } });
      } catch (e) {
        error(e, true);
        return;
      }
      if (dead) { try { call && call.disconnect && call.disconnect(); } catch { /* gone */ } return; }
      call.on('accept', () => {
        accepted = true;
        if (dead) return;
        hooks.onAccept && hooks.onAccept();
        showDevices();
      });
      call.on('disconnect', () => { if (!dead) hooks.onDisconnect && hooks.onDisconnect('disconnect'); });
      call.on('cancel', () => { if (!dead) hooks.onDisconnect && hooks.onDisconnect('cancel'); });
      call.on('reject', () => {
        if (!dead) hooks.onError && hooks.onError({ message: 'The voice service refused to connect you to this call.', reason: 'the voice service refused to connect you', code: null, fatal: true });
      });
      call.on('error', (e) => error(e));
      call.on('warning', (name) => { if (!dead) hooks.onWarning && hooks.onWarning(name, true); });
      call.on('warning-cleared', (name) => { if (!dead) hooks.onWarning && hooks.onWarning(name, false); });
      call.on('volume', (inputVolume) => { if (!dead) hooks.onLevel && hooks.onLevel(Number(inputVolume) || 0); });
    },
    disconnect: hangUp,
    async setInputDevice(id) {
      if (device && device.audio) await device.audio.setInputDevice(id);
    },
    async setOutputDevice(id) {
      if (device && device.audio && device.audio.speakerDevices) await device.audio.speakerDevices.set(id);
    },
    destroy() {
      hangUp();
      dead = true;
      try { if (device && typeof device.destroy === 'function') device.destroy(); } catch { /* gone */ }
      device = null;
      call = null;
    },
  };
}

// Telnyx (@telnyx/webrtc): log in with the call's login token, call the
// dialer's SIP connection naming our conference in an X-Conference header;
// the server answers that leg and puts it in the room. Telnyx login tokens
// last long (24 h), so unlike Twilio nothing is refreshed mid-call.
function telnyxVoice(resp, hooks) {
  const token = resp.token;
  let client = null;
  let call = null;
  let accepted = false;
  let ended = false;
  let dead = false;
  let granted = false;
  let stream = null; // our own microphone stream, when the call has none to share
  let stopMeter = () => {};
  let micId = null;
  let spkId = null;
  let audioEl = null;

  const error = (ev, fatal) => {
    if (dead) return;
    const w = telnyxErrorWords(ev);
    hooks.onError && hooks.onError({ ...w, code: null, fatal: fatal === undefined ? !accepted : fatal });
  };

  async function listDevices() {
    const inputs = labelled(await browserDevices('audioinput'), 'Microphone');
    const outputs = labelled(await browserDevices('audiooutput'), 'Speaker');
    if (!dead) hooks.onDevices && hooks.onDevices({ inputs, outputs });
  }
  const onDeviceChange = () => { if (granted && !dead) listDevices(); };

  function stopLevel() {
    stopMeter();
    stopMeter = () => {};
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }

  // The level meter: the call's own microphone stream, else one of ours.
  async function startLevel() {
    let s = null;
    try { s = call && call.localStream; } catch { s = null; }
    if (!s || !s.getAudioTracks || !s.getAudioTracks().length) {
      try {
        s = await navigator.mediaDevices.getUserMedia({ audio: micId ? { deviceId: { exact: micId } } : true });
      } catch { s = null; }
      if (dead) { if (s) s.getTracks().forEach((t) => t.stop()); return; }
      stopLevel();
      stream = s;
    } else {
      stopLevel();
    }
    if (s) stopMeter = levelMeter(s, (v) => hooks.onLevel && hooks.onLevel(v));
  }

  function onState(state) {
    if (dead || ended) return;
    if (state === 'active' && !accepted) {
      accepted = true;
      hooks.onAccept && hooks.onAccept();
      startLevel();
      granted = true;
      listDevices();
      if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) navigator.mediaDevices.addEventListener('devicechange', onDeviceChange);
    } else if (state === 'hangup' || state === 'destroy') {
      ended = true;
      stopLevel();
      hooks.onDisconnect && hooks.onDisconnect(accepted ? 'disconnect' : 'cancel');
    }
  }

  function hangUp() {
    try { if (call && !ended && typeof call.hangup === 'function') Promise.resolve(call.hangup()).catch(() => {}); } catch { /* gone */ }
  }

  return {
    async connect() {
      let Telnyx;
      try {
        Telnyx = await loadSdk('telnyx');
      } catch (e) {
        if (!dead) hooks.onError && hooks.onError({ message: e.message, reason: 'voice library not loaded', code: null, fatal: true });
        return;
      }
      if (dead) return;
      audioEl = document.createElement('audio');
      audioEl.autoplay = true;
      audioEl.hidden = true;
      document.body.appendChild(audioEl);
      try {
        client = new Telnyx.TelnyxRTC({ login_token: token.token });
        client.on('telnyx.ready', () => {
          if (dead || call) return;
          try {
            call = client.newCall({
              destinationNumber: token.conference_name,
              callerNumber: '',
              audio: true,
              video: false,
              remoteElement: audioEl,
              customHeaders: [{ name: 'X-Conference', value: token.conference_name }],
            });
          } catch (e) { error(e, true); }
        });
        client.on('telnyx.notification', (n) => {
          if (!n) return;
          if (n.type === 'userMediaError') { error({ error: n.error || { name: 'NotAllowedError' } }); return; }
          if (n.type === 'callUpdate' && n.call && (!call || n.call === call || n.call.id === call.id)) onState(n.call.state);
        });
        client.on('telnyx.error', (e) => error(e));
        client.connect();
      } catch (e) {
        error({ error: e }, true);
      }
    },
    disconnect: hangUp,
    async setInputDevice(id) {
      micId = id;
      if (call && typeof call.setAudioInDevice === 'function') await call.setAudioInDevice(id);
      if (accepted && !dead) await startLevel();
    },
    async setOutputDevice(id) {
      spkId = id;
      if (call && typeof call.setAudioOutDevice === 'function') await call.setAudioOutDevice(id);
      else if (audioEl && typeof audioEl.setSinkId === 'function') await audioEl.setSinkId(spkId);
    },
    destroy() {
      hangUp();
      dead = true;
      stopLevel();
      if (navigator.mediaDevices && navigator.mediaDevices.removeEventListener) navigator.mediaDevices.removeEventListener('devicechange', onDeviceChange);
      try { if (client && typeof client.disconnect === 'function') Promise.resolve(client.disconnect()).catch(() => {}); } catch { /* gone */ }
      if (audioEl) audioEl.remove();
      client = null;
      call = null;
      audioEl = null;
    },
  };
}

export function createVoice(callResponse, hooks = {}) {
  const t = callResponse && callResponse.token;
  const simulated = !t || t.simulated || t.provider === 'sim' ||
    (callResponse.call && callResponse.call.provider === 'sim');
  if (simulated) return simVoice(callResponse, hooks);
  const provider = t.provider || (callResponse.call && callResponse.call.provider);
  return provider === 'telnyx' ? telnyxVoice(callResponse, hooks) : twilioVoice(callResponse, hooks);
}
