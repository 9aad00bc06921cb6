#!/usr/bin/env node
/**
 * Runs before `npm start`, `npm test` and `npm run bench`, with nothing but Node itself: installs the
 * dependencies when they are missing or older than package-lock.json, then compiles TypeScript to
 * dist/ (incrementally). The database is prepared by the stack itself when it starts.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

const installed = join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(join(root, 'package-lock.json'))) {
  console.log('[prepare] installing dependencies (npm ci)...');
  // onnxruntime-node's postinstall would download CUDA libraries from GitHub; CPU needs none of them.
  run(npm, ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

console.log('[prepare] compiling TypeScript...');
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
