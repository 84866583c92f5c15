/** The c suite of test/robust under soak settings (KREVIEW_SOAK=1: more runs, bigger cases). */
import './c.test.js';
