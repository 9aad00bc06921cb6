/**
 * Jest runs test files in a vm context whose dynamic `import()` needs --experimental-vm-modules,
 * and jest's module registry refuses ESM-only packages (runpod-sdk is one). This environment
 * gives the test context `__nativeImport(specifier)`: Node's own `import()`, created here in the
 * main context, where the ordinary ESM loader runs. What it loads lives outside jest's registry
 * (no mocks, no transforms): for driving a third-party client exactly as an application would.
 */
const { TestEnvironment } = require('jest-environment-node');

// A Function body is not rewritten by the transform that compiles this file to CommonJS, so this
// stays a real import().
const nativeImport = new Function('specifier', 'return import(specifier)');

class NativeImportEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__nativeImport = nativeImport;
  }
}

module.exports = NativeImportEnvironment;
