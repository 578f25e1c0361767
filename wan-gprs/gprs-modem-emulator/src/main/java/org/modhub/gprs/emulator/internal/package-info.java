/**
 * An emulated 3GPP TS 27.007 cellular modem on a serial line, for tests and the dev variant. Never
 * exported, never in a production variant.
 */
package org.modhub.gprs.emulator.internal;
