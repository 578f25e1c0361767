package org.modhub.api;

import org.modhub.api.wan.TopicFilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicFilterTest {

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            "a/b/c, a/b/c, true",
            "a/b/c, a/b/d, false",
            "a/b, a/b/c, false",
            "a/b/c, a/b, false",
            "a/+/c, a/b/c, true",
            "a/+/c, a/b/x/c, false",
            "a/+, a/b, true",
            "a/+, a/b/c, false",
            "+, a, true",
            "+, a/b, false",
            "+/+, /b, true",
            "+/b, /b, true",
            "a/+/+, a/b/c, true",
            "a/#, a, true",
            "a/#, a/b, true",
            "a/#, a/b/c/d, true",
            "a/#, b/c, false",
            "#, a/b/c, true",
            "#, a, true",
            "+/#, a/b, true",
            "+/b/#, x/b, true",
            "+/b/#, x/c/d, false",
            "sport/tennis/+, sport/tennis/player1, true",
            "sport/tennis/+, sport/tennis/player1/ranking, false",
            "#, $SYS/info, false",
            "+/info, $SYS/info, false",
            "$SYS/#, $SYS/info, true",
            "a/b#, a/b, false",
            "a/#/c, a/b/c, false",
            "a+/b, a+/b, false",
            "a/b, a/+, false",
    })
    void matches(String filter, String topic, boolean expected) {
        assertEquals(expected, TopicFilter.matches(filter, topic));
    }

    @ParameterizedTest
    @CsvSource({ "a/b, true", "#, true", "+, true", "a/+/c/#, true", "a/#/c, false", "a/b+, false", "##, false",
            "'', false" })
    void validity(String filter, boolean expected) {
        assertEquals(expected, TopicFilter.isValid(filter));
    }
}
