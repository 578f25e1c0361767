/** The cellular modem WAN link (DS component, modem controller). Never exported. */
package org.modhub.gprs.internal;
