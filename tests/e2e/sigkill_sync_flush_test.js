'use strict';
// e2e 4b: SIGKILL of a SYNC_FLUSH broker mid-run loses no acknowledged message (lib/sigkill_scenario.js).
require('./lib/sigkill_scenario').sigkillScenario('sigkill_sync_flush', 'SYNC_FLUSH');
