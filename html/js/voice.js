// The voice adapter: the only code that touches the Twilio Voice SDK.
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

import { sdkErrorWords, sdkFailWords } from './words.js';

const SDK_URL = '/vendor/twilio.min.js';
let sdkPromise = null;

function loadSdk() {
  if (window.Twilio && window.Twilio.Device) return Promise.resolve(window.Twilio);
  if (!sdkPromise) {
    sdkPromise = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = SDK_URL;
      s.async = true;
      s.addEventListener('load', () => {
        if (window.Twilio && window.Twilio.Device) resolve(window.Twilio);
        else reject(new Error('The voice library loaded but is not usable.'));
      });
      s.addEventListener('error', () => {
        sdkPromise = null;
        s.remove();
        reject(new Error('The voice library could not be loaded. Reload the page and try again.'));
      });
      document.head.appendChild(s);
    });
  }
  return sdkPromise;
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
        Twilio = await loadSdk();
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

export function createVoice(callResponse, hooks = {}) {
  const t = callResponse && callResponse.token;
  const simulated = !t || t.simulated || t.provider === 'sim' ||
    (callResponse.call && callResponse.call.provider === 'sim');
  return simulated ? simVoice(callResponse, hooks) : twilioVoice(callResponse, hooks);
}
