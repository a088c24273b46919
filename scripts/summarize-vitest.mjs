// Prints vitest's JSON report as the plain closing line "N passed, N failed, N skipped".
// Skipped or todo tests fail the run: this project installs its components, never skips.
import * as fs from 'node:fs';
const report = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const passed = report.numPassedTests;
// A test file that fails to load has no failed tests of its own: count it as one failure.
const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')).length;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + (report.numTodoTests ?? 0);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0 || skipped > 0 || passed === 0 || !report.success) process.exit(1);
