/** The bare-framework probe bundle used as the startup benchmark's peer. */
package org.modhub.bench.probe;
