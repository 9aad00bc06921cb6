#!/usr/bin/env node
/**
 * Runs before `npm start`, `npm test` and `npm run bench`, with nothing but Node itself: installs the
 * dependencies when they are missing or older than package-lock.json, then compiles TypeScript to
 * dist/ (incrementally). The database is prepared by the stack itself when it starts.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const net = require('node:net');
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

/** Resolves whether something accepts TCP connections on host:port. */
function reachable(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Redis and PostgreSQL must be running locally (README). When one is down and this machine has the
 * usual Debian commands to start it, start it; otherwise say exactly what is missing.
 */
async function ensureServices() {
  const services = [
    {
      name: 'Redis',
      port: 6379,
      start: [
        'redis-server',
        ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no'],
      ],
    },
    {
      name: 'PostgreSQL',
      port: 5432,
      start: ['sh', ['-c', 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start']],
    },
  ];
  for (const s of services) {
    if (await reachable(s.port)) continue;
    console.log(`[prepare] ${s.name} is not answering on 127.0.0.1:${s.port}; trying to start it...`);
    spawnSync(s.start[0], s.start[1], { stdio: 'inherit' });
    for (let i = 0; i < 50 && !(await reachable(s.port)); i++) await new Promise((r) => setTimeout(r, 200));
    if (!(await reachable(s.port))) {
      console.error(`[prepare] ${s.name} must run on 127.0.0.1:${s.port} (see README: "The two commands").`);
      process.exit(1);
    }
  }
}

ensureServices().catch((err) => {
  console.error(err);
  process.exit(1);
});
