'use strict';
// e2e 4a: SIGKILL of an ASYNC_FLUSH broker mid-run loses no acknowledged message (lib/sigkill_scenario.js).
require('./lib/sigkill_scenario').sigkillScenario('sigkill_async_flush', 'ASYNC_FLUSH');
