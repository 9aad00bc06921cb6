/** Where the ONNX models run. `auto` prefers CUDA and falls back to the CPU; `cuda` asks for CUDA explicitly. */
export enum Device {
  Auto = 'auto',
  Cpu = 'cpu',
  Cuda = 'cuda',
}

/** The environment variable that chooses the device when the options do not. */
export const DEVICE_ENV = 'SWITCHYARD_DEVICE';

const DEVICES: readonly string[] = Object.values(Device);

export function parseDevice(value: string, source = DEVICE_ENV): Device {
  const normalised = value.trim().toLowerCase();
  if (!DEVICES.includes(normalised)) {
    throw new RangeError(`${source} must be one of ${DEVICES.join(', ')}, got "${value}"`);
  }
  return normalised as Device;
}

/** What a model actually runs on once loaded: a device that was asked for may be unavailable. */
export enum ResolvedDevice {
  Cpu = 'cpu',
  Cuda = 'cuda',
}
