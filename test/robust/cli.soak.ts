/** The cli suite of test/robust under soak settings (KREVIEW_SOAK=1: more runs, bigger cases). */
import './cli.test.js';
