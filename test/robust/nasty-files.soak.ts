/** The nasty-files suite of test/robust under soak settings (KREVIEW_SOAK=1: more runs, bigger cases). */
import './nasty-files.test.js';
