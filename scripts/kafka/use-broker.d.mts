/** True once a broker answers; false when it did not start (scripts/kafka/use-broker.mjs). */
export declare function useKafkaBroker(): boolean;
