// Shared set-up for browser tests: a real zijin server on a free port with a fresh SQLite
// database, and Debian's chromium driven by playwright-core (never a downloaded browser).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const outputDir = join(here, 'output');
mkdirSync(outputDir, { recursive: true });

export const zijinBinary = process.env.ZIJIN_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(here, '..', 'target'), 'debug', 'zijin');

/** Runs a zijin command to completion; returns its output, failing the test on a non-zero exit. */
export function zijin(dataDir, args, input = '') {
  const result = spawnSync(zijinBinary, [...args, '--data-dir', dataDir], { input, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`zijin ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}

/** Starts `zijin serve` on a free port with a fresh data directory. */
export async function startServer({ demo = false } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'zijin-e2e-'));
  const setup = [];
  const server = {
    dataDir,
    run: (args, input) => zijin(dataDir, args, input),
  };
  // `env` adds variables, e.g. ZIJIN_CLOCK_START to run the platform at a chosen day.
  server.start = async (env = {}) => {
    const args = ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, ...(demo ? ['--demo'] : [])];
    const child = spawn(zijinBinary, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    server.child = child;
    const lines = createInterface({ input: child.stdout });
    server.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
      child.on('exit', (code) => reject(new Error(`server exited early with ${code}`)));
      lines.on('line', (line) => {
        setup.push(line);
        const match = line.match(/^紫金平台已启动：(http:\/\/\S+)/);
        if (match) { clearTimeout(timer); resolve(match[1]); }
      });
    });
    server.printed = setup.join('\n');
    return server.url;
  };
  // Stops the process and keeps the data (to start again, say at a later day).
  server.halt = async () => {
    if (server.child && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server.child.on('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
  };
  server.stop = async () => {
    await server.halt();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return server;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-gpu', '--no-first-run'],
  });
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });
}
