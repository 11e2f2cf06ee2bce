#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` produces dist/.
import { main } from '../dist/cairn.js';

process.exitCode = await main(process.argv);
