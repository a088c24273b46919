// What the page knows: the devices, the one shown, and per device its samples and display model.
import { HISTORY } from './charts.js';

export const state = {
  devices: [],
  /** the device list has arrived */
  loaded: false,
  /** the id of the device shown */
  current: undefined,
  /** deviceId -> ChartSample[] (at most HISTORY) */
  history: new Map(),
  /** deviceId -> DisplayModel */
  display: new Map(),
};

export function addSample(deviceId, sample) {
  const hist = state.history.get(deviceId) || [];
  hist.push(sample);
  if (hist.length > HISTORY) hist.splice(0, hist.length - HISTORY);
  state.history.set(deviceId, hist);
}
