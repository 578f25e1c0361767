package org.modhub.api.messaging;

/** The CRA flag of a message: command, response or alert. */
public enum MessageType {
    COMMAND(1),
    RESPONSE(2),
    ALERT(3);

    private final int craFlag;

    MessageType(int craFlag) {
        this.craFlag = craFlag;
    }

    public int craFlag() {
        return craFlag;
    }

    public static MessageType ofCraFlag(int flag) {
        for (MessageType t : values()) {
            if (t.craFlag == flag) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown CRA flag " + flag);
    }
}
