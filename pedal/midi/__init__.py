"""MIDI from a controller: what its messages do to the pedal.

    mapping.py   pedal.toml's [midi] and [midi.cc]: the channel, and which CC moves what
    router.py    MIDI bytes in, the pedal's actions out (program change: a rig; CC: a level,
                 a knob, bypass, the tuner), the latest value per target when they come fast
    ports.py     the MIDI input ports (python-rtmidi: the ALSA sequencer, or JACK), every one
                 there is, and those plugged in or out since the last look
    reader.py    the process that holds the ports (rtmidi holds the GIL through its calls) and
                 passes what arrives to pedald, a line each; ReaderProcess is pedald's end
    service.py   the MIDI thread: takes the reader's lines to the router; learning a CC and the
                 monitor's stream

The audio thread never sees MIDI: the router acts through the Pedal's own actions, as the
control socket does, which hand changes to the engine lock-free and glide them like every knob.
"""
