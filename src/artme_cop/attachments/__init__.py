"""Files attached to messages, shared by the features that let people upload (lab channels
now, the knowledge repository later): content-checked types, random storage names outside
the static folder, and downloads only for people who may read the conversation."""
