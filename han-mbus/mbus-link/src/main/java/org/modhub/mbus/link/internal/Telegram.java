package org.modhub.mbus.link.internal;

import java.util.List;
import org.modhub.api.common.Eui64;
import org.openmuc.jmbus.DataRecord;
import org.openmuc.jmbus.EncryptionMode;
import org.openmuc.jmbus.SecondaryAddress;

/**
 * A decoded M-Bus application telegram.
 *
 * @param address the device's secondary address (wireless: the link-layer address; wired: the long
 *        header's)
 * @param device the hub identity of that address ({@link Telegrams#eui(SecondaryAddress)})
 * @param mediumCode EN 13757-3 device type (medium) code
 * @param accessNumber the telegram's access number
 * @param status the status byte
 * @param security the security mode of the telegram
 * @param records the data records, in telegram order
 * @param counter the security mode 7 message counter (AFL.MCR), or -1
 */
public record Telegram(SecondaryAddress address, Eui64 device, int mediumCode, int accessNumber, int status,
        EncryptionMode security, List<DataRecord> records, long counter) {
    public Telegram {
        records = List.copyOf(records);
    }
}
