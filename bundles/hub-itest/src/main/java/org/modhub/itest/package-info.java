/** In-framework integration tests of hub-core with the emulated WAN link. Not exported. */
package org.modhub.itest;
