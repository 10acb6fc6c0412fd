#!/usr/bin/env node
/**
 * PHP's command line, compiled to WebAssembly: `PHP=8.1 node php.cjs [php options] file.php [args]`.
 *
 * PHP runs on the host's files (every directory is mounted at its own path) and reaches MariaDB and
 * HTTP servers on 127.0.0.1 over TCP. `php` on its PATH and its PHP_BINARY are this command again, with
 * the same version, so a PHP program that starts PHP gets the same one. Its exit status is PHP's.
 * tests/plugin/php_wasm.py installs the packages (NODE_PATH) and runs it.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadNodeRuntime, useHostFilesystem } = require('@php-wasm/node');
const { PHP, FileLockManagerInMemory } = require('@php-wasm/universal');

async function main() {
	const version = process.env.PHP;
	if (!version) {
		throw new Error('php-wasm: set PHP to the version to run (8.1, 8.5)');
	}
	const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'php-wasm-bin-'));
	fs.writeFileSync(path.join(bin, 'php'), `#!/bin/sh\nexec "${process.execPath}" "${__filename}" "$@"\n`, { mode: 0o755 });
	// Programs PHP starts look `php` up on Node's own PATH.
	process.env.PATH = `${bin}:${process.env.PATH}`;
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'php-wasm-tmp-'));
	try {
		const runtime = await loadNodeRuntime(version, {
			fileLockManager: new FileLockManagerInMemory(),
			emscriptenOptions: {
				processId: process.pid,
				ENV: { ...process.env, TMPDIR: tmp },
			},
		});
		const php = new PHP(runtime);
		useHostFilesystem(php);
		// proc_open() with an array runs the program itself; with a string (and shell_exec and the like) a shell.
		php.setSpawnHandler((command, args) => (args.length
			? spawn(command, args, { stdio: 'pipe' })
			: spawn('/bin/sh', ['-c', command], { stdio: 'pipe' })));
		const response = await php.cli(['php', ...process.argv.slice(2)]);
		const piped = [
			response.stdout.pipeTo(new WritableStream({ write: (chunk) => { process.stdout.write(chunk); } })),
			response.stderr.pipeTo(new WritableStream({ write: (chunk) => { process.stderr.write(chunk); } })),
		];
		let status;
		try {
			status = await response.exitCode;
		} catch (error) {
			// exit() inside PHP ends the runtime with Emscripten's ExitStatus.
			if (error && error.name === 'ExitStatus') {
				status = error.status ?? 1;
			} else {
				throw error;
			}
		}
		await Promise.allSettled(piped);
		return status;
	} finally {
		fs.rmSync(bin, { recursive: true, force: true });
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}

main().then(
	(status) => process.exit(status),
	(error) => {
		process.stderr.write(`php-wasm: ${error && error.stack ? error.stack : error}\n`);
		process.exit(70);
	}
);
