@level:story
Feature: Joins in the Smart Metering Inventory and Unjoin validation (DP178, MP178)
  The DSP records a join in the SMI from the device's response to Join Service (8.7.1 critical, 8.7.2
  non-critical): a response that never reaches the DSP leaves the SMI without the join, and a meter that wrongly
  rejects a re-sent Join leaves it so.
  Until the June 2024 release the DSP refuses an Unjoin (8.8.x) with E080801 when the SMI holds no join between
  the two devices, and accepts it when it does; from June 2024 (MP178) it no longer checks. Both rules name the
  Unjoin Service, so each is tried with both its variants: 8.8.1 (critical: CV 4, then the signed pre-command; an
  E080801 refusal is the answer to the CV 4 request) and 8.8.2 (non-critical). Every scenario ends with the frame
  check: the SMI and the device views of every device of the estate, and their SMKI entries, changed by exactly the
  joins the scenario judges, and nothing else (no join of another pair, no status, no certificate).

  Background:
    Given the standard estate

  @clause:DP178-SMI-JOIN
  Scenario Outline: The inventory records a join from the device's response, for both Join variants
    Given the inventory records no join of the CAD to the ESME
    When the user joins the CAD to the ESME with SRV <srv>
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the CAD joined to the ESME
    And the ESME itself holds the join with the CAD
    And nothing else observable changed

    Examples: both Join variants DP178 names
      | srv   |
      | 8.7.1 |
      | 8.7.2 |

  @clause:DP178-SMI-JOIN @clause:DP178-E080801 @srv:8.7.2 @srv:8.8.2
  Scenario: Before June 2024 a Join whose response arrived is recorded: the Unjoin that follows is accepted (over DUIS alone)
    Given the inventory records no join of the CAD to the ESME
    When the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives with code I0
    When the user unjoins the CAD from the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And nothing else observable changed

  @clause:DP178-SMI-JOIN @srv:8.7.2
  Scenario: A join response lost on its way to the DSP leaves the inventory without the join
    Given the inventory records no join of the CAD to the ESME
    And the ESME's next response will be lost on its way to the DCC
    When the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives with code E21
    And the inventory records no join of the CAD to the ESME
    And the ESME itself holds the join with the CAD
    And nothing else observable changed

  @clause:DP178-REJOIN @srv:8.7.2
  Scenario: A meter that rejects a re-sent Join leaves the inventory without the join
    Given the inventory records no join of the CAD to the ESME
    And the ESME's next response will be lost on its way to the DCC
    And the ESME rejects a Join it already holds
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives
    And the inventory records no join of the CAD to the ESME
    And the ESME itself holds the join with the CAD
    And nothing else observable changed

  @clause:DP178-REJOIN @srv:8.7.2
  Scenario: A compliant meter accepts a re-sent Join, and the inventory records it
    Given the inventory records no join of the CAD to the ESME
    And the ESME's next response will be lost on its way to the DCC
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the CAD joined to the ESME
    And the ESME itself holds the join with the CAD
    And nothing else observable changed

  @clause:DP178-E080801
  Scenario Outline: An Unjoin of a pair the inventory holds no join for is refused with E080801 (over DUIS alone)
    Given the inventory records no join of the CAD to the ESME
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the request is refused as "unjoin-without-smi-join"
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:DP178-E080801
  Scenario Outline: An Unjoin the inventory holds no join for is refused with E080801, and the device keeps its join
    Given the ESME itself holds a join with the CAD that the inventory does not record
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the request is refused as "unjoin-without-smi-join"
    And the ESME itself holds the join with the CAD
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:DP178-E080801
  Scenario Outline: An Unjoin of a join the inventory holds is accepted and carried out
    Given the CAD is joined to the ESME
    And the PPMID is joined to the ESME
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the response code is I99
    And the device response arrives with code I0
    And the ESME itself no longer holds the join with the CAD
    And the inventory records no join of the CAD to the ESME
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  # A join is one relation between two devices, whichever of them the SMI files it under: a pair the SMI holds the
  # other way round (as the CAD's join to the ESME) is held, and its Unjoin is no Unjoin without an SMI join.
  @clause:DP178-E080801
  Scenario Outline: An Unjoin of a join the inventory files under the other device is accepted and carried out
    Given the ESME itself holds a join with the CAD that the inventory does not record
    And the inventory files the join of the CAD and the ESME under the CAD
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the response code is I99
    And the device response arrives with code I0
    And the ESME itself no longer holds the join with the CAD
    And the inventory records no join of the CAD to the ESME
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  # Local delivery (8.8.2 CV 2; 8.8.1 CV 4, then CV 6) is the same Unjoin Service: the same SMI check before June
  # 2024, none from it. A refused command for local delivery is no command for the engineer to carry.
  @clause:DP178-E080801
  Scenario Outline: An Unjoin for local delivery of a pair the inventory holds no join for is refused with E080801 (over DUIS alone)
    Given the inventory records no join of the CAD to the ESME
    When the user unjoins the CAD from the ESME with SRV <srv> for local delivery
    Then the request is refused as "unjoin-without-smi-join"

    Examples: both Unjoin variants, for local delivery
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:MP178-UNJOIN
  Scenario Outline: An Unjoin for local delivery of a pair the inventory holds no join for is issued (over DUIS alone)
    Given the inventory records no join of the CAD to the ESME
    When the user unjoins the CAD from the ESME with SRV <srv> for local delivery
    Then the command for local delivery is issued

    Examples: both Unjoin variants, for local delivery
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:MP178-UNJOIN
  Scenario Outline: An Unjoin of a pair the inventory holds no join for is accepted and sent to the device (over DUIS alone)
    Given the inventory records no join of the CAD to the ESME
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the response code is I99
    And the device response arrives
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:MP178-UNJOIN
  Scenario Outline: An Unjoin goes to the device whatever the inventory says
    Given the ESME itself holds a join with the CAD that the inventory does not record
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the response code is I99
    And the device response arrives with code I0
    And the ESME itself no longer holds the join with the CAD
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:MP178-UNJOIN
  Scenario Outline: An Unjoin of a join the inventory holds is still accepted and carried out
    Given the CAD is joined to the ESME
    And the PPMID is joined to the ESME
    When the user unjoins the CAD from the ESME with SRV <srv>
    Then the response code is I99
    And the device response arrives with code I0
    And the ESME itself no longer holds the join with the CAD
    And the inventory records no join of the CAD to the ESME
    And nothing else observable changed

    Examples: both Unjoin variants DP178 and MP178 name
      | srv   |
      | 8.8.1 |
      | 8.8.2 |

  @clause:DP178-SMI-JOIN @clause:DP178-REJOIN @clause:DP178-E080801 @srv:8.7.2 @srv:8.8.2
  Scenario: The installer's story before June 2024: lost join, rejected retry, refused unjoin
    Given the inventory records no join of the CAD to the ESME
    And the ESME's next response will be lost on its way to the DCC
    And the ESME rejects a Join it already holds
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    And the user unjoins the CAD from the ESME
    Then the request is refused as "unjoin-without-smi-join"
    And the inventory records no join of the CAD to the ESME
    And the ESME itself holds the join with the CAD
    And nothing else observable changed

  @clause:DP178-SMI-JOIN @clause:DP178-REJOIN @clause:MP178-UNJOIN @srv:8.7.2 @srv:8.8.2
  Scenario: The installer's story from June 2024: the unjoin goes through
    Given the inventory records no join of the CAD to the ESME
    And the ESME's next response will be lost on its way to the DCC
    And the ESME rejects a Join it already holds
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    And the user unjoins the CAD from the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the ESME itself no longer holds the join with the CAD
    And nothing else observable changed
