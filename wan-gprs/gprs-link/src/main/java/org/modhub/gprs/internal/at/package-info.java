/** AT command layer: serial line, line splitter, command session, typed answers and errors. Never exported. */
package org.modhub.gprs.internal.at;
