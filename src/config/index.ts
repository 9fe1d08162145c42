/** The configuration layer's public surface (read only by the composition root and the CLI). */
export { loadConfig, type LoadConfigOptions } from './load.js';
export { validateConfig, type ValidateOptions } from './validate.js';
export { loadDeviceModels, validateDeviceModel, type DeviceModel, type ReadingSpec } from './models.js';
export { COMPAT_PRESETS, resolveCompat } from './compat.js';
export { ConfigError } from './errors.js';
export { formatIssues } from './format.js';
export { bundledDevicesDir, packageRoot, USER_DEVICES_DIR } from './schemas.js';
export type * from './types.js';
