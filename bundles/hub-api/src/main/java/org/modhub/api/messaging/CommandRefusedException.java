package org.modhub.api.messaging;

/** A command was refused: unknown code, failed check, value out of range. The reason goes to the head end. */
public class CommandRefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int messageCode;

    public CommandRefusedException(int messageCode, String reason) {
        super(reason);
        this.messageCode = messageCode;
    }

    public int messageCode() {
        return messageCode;
    }
}
