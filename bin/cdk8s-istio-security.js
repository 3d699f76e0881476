#!/usr/bin/env node
// Launcher of the command line: the code is the compiled library (lib/src/model/cli.js).
'use strict';
// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(0); else throw err; });
require('../lib/src/model/cli')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((err) => { process.stderr.write(`${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; });
