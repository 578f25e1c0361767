/** In-framework live WAN swap test (this bundle is the test bundle; nothing is exported). */
package org.modhub.wanitest;
